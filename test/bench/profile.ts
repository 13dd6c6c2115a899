// Per-kernel times of a plan, for `npm run bench -- --profile`: where a training step's time
// goes. The timing is the runtime's (runtime/kernel-times.ts: each dispatch alone, repeated in
// one pass, wall clock), the FLOPs and bytes (compiler/kernels/dispatch-costs.ts) and the rates
// (compiler/kernels/roofline.ts) are those `mdl kernels --time` reports.
import type { Graph } from '../../compiler/ir/types.js';
import { dispatchCosts } from '../../compiler/kernels/dispatch-costs.js';
import type { Plan } from '../../compiler/kernels/plan.js';
import { roofline } from '../../compiler/kernels/roofline.js';
import { timeKernels } from '../../runtime/kernel-times.js';

export async function profileKernels(
  device: GPUDevice,
  title: string,
  plan: Plan,
  graph: Graph,
  dims: Record<string, number>,
  stepMs: number,
): Promise<void> {
  const t = await timeKernels(device, plan);
  const costs = dispatchCosts(graph, plan.dispatches, dims);
  const rows = roofline(plan.dispatches.map((d, i) => ({ name: d.name, ms: t.ms[i]!, ...costs[i]! })));
  const total = t.ms.reduce((s, x) => s + x, 0);
  console.log(
    `\n${title}: ${t.ms.length} kernels, each timed alone (ms, median of ${t.samples} × ${t.reps} dispatches); sum ${total.toFixed(2)} ms, the pass alone ${t.passMs.toFixed(2)} ms, whole step ${stepMs.toFixed(2)} ms`,
  );
  console.log(
    `${'kernel'.padEnd(52)} ${'workgroups'.padStart(14)} ${'ms'.padStart(7)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'GB/s'.padStart(7)}`,
  );
  const order = rows.map((_, i) => i).sort((a, b) => rows[b]!.ms - rows[a]!.ms);
  for (const i of order) {
    const d = plan.dispatches[i]!;
    const r = rows[i]!;
    console.log(
      `${d.name.slice(0, 52).padEnd(52)} ${d.workgroups.join('×').padStart(14)} ${r.ms.toFixed(3).padStart(7)} ${`${((r.ms / total) * 100).toFixed(0)}%`.padStart(6)} ${(r.flops > 0 ? r.gflops.toFixed(2) : '–').padStart(8)} ${r.gbs.toFixed(2).padStart(7)}`,
    );
  }
}
