// The inputs a bench feeds a plan: every float input uniform in [−1, 1) from a fixed LCG,
// integer inputs (labels) cycling through 0–9, and a learning rate of 0.01, so runs compare.
import type { ExecutablePlan } from '../../runtime/plan/types.js';
import type { HostArray } from '../../runtime/executor.js';

export function benchInputs(plan: ExecutablePlan): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  let s = 1;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  for (const i of plan.inputs) {
    const n = i.shape.reduce((a, d) => a * d, 1);
    out[i.name] =
      i.dtype === 'i32'
        ? Int32Array.from({ length: n }, (_, k) => k % 10)
        : i.name === 'lr'
          ? new Float32Array([0.01])
          : Float32Array.from({ length: n }, rnd);
  }
  return out;
}
