// A training loop over any training-step graph whose inputs the caller fills (what `mdl train`'s
// classifier loop cannot feed: noise images, per-sample weights, a model with its own loss).
// The step is planned for this machine's WebGPU adapter with the optimizer's outputs written
// into the parameters' own buffers, so parameters and optimizer state stay on the device; the
// loss is read back only every `logEvery` steps. Used by teacher–student unlearning and by the
// self-supervised (re)training of an encoder–decoder its evaluation compares against.
import { bindDims } from '../../analysis/summary.js';
import { buildTrainStep, type OptimizerSpec, type TrainStep } from '../../autodiff/optimizer.js';
import type { Graph } from '../../ir/types.js';
import { planGraph } from '../../kernels/plan.js';
import { targetOf } from '../../kernels/target.js';
import { acquireDevice } from '../../../runtime/device.js';
import { Executor, type HostArray } from '../../../runtime/executor.js';
import { learningRate, type Schedule } from '../../../runtime/train/schedule.js';

export interface GraphTraining {
  /** A graph with a scalar output `loss`. */
  readonly graph: Graph;
  readonly optimizer: OptimizerSpec;
  readonly lr: number;
  readonly schedule: Schedule;
  readonly batch: number;
  readonly steps: number;
  readonly stepsPerEpoch: number;
  readonly seed: number;
  /** Initial values by name (the others start from their initialisers). */
  readonly params: ReadonlyMap<string, ArrayLike<number>>;
  /** Parameters left out of training, by name (besides those not trainable). */
  readonly frozen?: readonly string[];
  /** The step's inputs besides `lr`, by name. */
  feed(step: number): Record<string, HostArray>;
  readonly logEvery?: number;
  readonly log?: (step: number, loss: number) => void;
}

export interface GraphTrainingResult {
  /** The graph's parameters and buffers after training (not the optimizer state), by name. */
  readonly params: Map<string, Float32Array>;
  readonly losses: { step: number; loss: number }[];
  readonly seconds: number;
  /** The step as built (its gradient outputs name exactly the trained parameters). */
  readonly step: TrainStep;
  /** Kernels in one step. */
  readonly kernels: number;
}

export async function trainGraph(t: GraphTraining): Promise<GraphTrainingResult> {
  const t0 = performance.now();
  const step = buildTrainStep(t.graph, {
    loss: { kind: 'output', output: 'loss' },
    optimizer: t.optimizer,
    frozen: t.frozen ?? [],
  });
  const acq = await acquireDevice();
  try {
    const plan = planGraph(step.graph, {
      target: targetOf(acq.report),
      dims: bindDims(step.graph, t.batch),
      training: true,
      updates: step.updates,
    });
    const ex = await Executor.create(acq.device, plan, { params: t.params, seed: t.seed, label: step.graph.name });
    try {
      const losses: { step: number; loss: number }[] = [];
      const every = t.logEvery ?? 25;
      const ctx = { baseLr: t.lr, stepsPerEpoch: t.stepsPerEpoch, totalSteps: t.steps };
      for (let s = 0; s < t.steps; s++) {
        const read = (s + 1) % every === 0 || s === t.steps - 1;
        const lr = learningRate(t.schedule, ctx, s);
        const out = await ex.run({
          inputs: { ...t.feed(s), lr: Float32Array.of(lr) },
          read: read ? ['loss'] : [],
          step: s,
        });
        if (read) {
          const loss = out.get('loss')![0]!;
          losses.push({ step: s + 1, loss });
          t.log?.(s + 1, loss);
        }
      }
      // The graph's parameters and buffers that the plan holds (not the optimizer's state).
      const held = new Set(plan.params.map((p) => p.param.name));
      const names = t.graph.params.map((p) => p.name).filter((n) => held.has(n));
      const params = await ex.readParams(names);
      return { params, losses, seconds: (performance.now() - t0) / 1000, step, kernels: plan.dispatches.length };
    } finally {
      ex.destroy();
    }
  } finally {
    acq.device.destroy();
  }
}
