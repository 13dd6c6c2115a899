// The hardware costs a search can optimise and constrain, measured on this machine's WebGPU
// adapter: the candidate is compiled as `mdl train` and `mdl compile` compile it (the planner's
// fused WGSL kernels and static memory plan, for the adapter's limits), then run.
//   latency     the inference plan: the median wall time of RUNS runs after WARM warm-up runs,
//               each from writing the input batch to reading the logits back;
//   train_step  the training-step plan (forward, cross-entropy, backward, SGD with momentum
//               updating the parameters in place): the same median, the loss read back;
//   plan_bytes  what the inference plan allocates (inputs, parameters, temporaries).
// One device serves every candidate. Timings depend on the machine and on what else runs on it;
// the search log records them, so a resumed search sees the same values.
import { bindDims } from '../../analysis/summary.js';
import { buildTrainStep } from '../../autodiff/optimizer.js';
import type { Graph } from '../../ir/types.js';
import { planGraph } from '../../kernels/plan.js';
import { targetOf, type Target } from '../../kernels/target.js';
import type { HardwareObjective } from '../../search/objectives.js';
import { prng } from '../../space/space.js';
import { acquireDevice, formatReport, type Acquired } from '../../../runtime/device.js';
import { Executor } from '../../../runtime/executor.js';
import { median } from '../../../runtime/median.js';

const WARM = 2;
const RUNS = 5;

export class HardwareMeter {
  private constructor(
    private readonly acq: Acquired,
    readonly target: Target,
    readonly description: string,
  ) {}

  static async create(): Promise<HardwareMeter> {
    const acq = await acquireDevice();
    return new HardwareMeter(acq, targetOf(acq.report), formatReport(acq.report));
  }

  /** The named costs of one candidate's graph at batch `batch`. */
  async measure(g: Graph, names: readonly HardwareObjective[], batch: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const dims = bindDims(g, batch);
    const input = g.inputs[0]!;
    const inVal = g.values[input]!;
    const inName = inVal.def.kind === 'input' ? inVal.def.name : 'x';
    const numel = inVal.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : dims[d]!), 1);
    const next = prng(0);
    const x = Float32Array.from({ length: numel }, () => next() / 2147483648 - 1);
    if (names.includes('latency') || names.includes('plan_bytes')) {
      const plan = planGraph(g, { target: this.target, dims, training: false });
      out['plan_bytes'] = plan.memory.totalBytes;
      if (names.includes('latency')) {
        const ex = await Executor.create(this.acq.device, plan, { warmUp: false, label: g.name });
        try {
          out['latency'] = await timed(() => ex.run({ inputs: { [inName]: x } }));
        } finally {
          ex.destroy();
        }
      }
    }
    if (names.includes('train_step')) {
      const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
      const plan = planGraph(step.graph, { target: this.target, dims, training: true, updates: step.updates });
      const out0 = g.values[g.outputs[0]!.value]!.type.shape;
      const classes = typeof out0[out0.length - 1] === 'number' ? (out0[out0.length - 1] as number) : 10;
      const labels = Int32Array.from({ length: batch }, (_, i) => i % classes);
      const ex = await Executor.create(this.acq.device, plan, { warmUp: false, label: `${g.name}:train` });
      try {
        out['train_step'] = await timed((i) =>
          ex.run({ inputs: { [inName]: x, labels, lr: Float32Array.of(1e-3) }, read: ['loss'], step: i }),
        );
      } finally {
        ex.destroy();
      }
    }
    for (const k of Object.keys(out)) if (!names.includes(k as HardwareObjective)) delete out[k];
    return out;
  }

  dispose(): void {
    this.acq.device.destroy();
  }
}

/** The median wall time of RUNS runs after WARM warm-up runs, ms. */
async function timed(run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARM; i++) await run(i);
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run(WARM + i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}
