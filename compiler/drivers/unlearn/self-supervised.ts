// Training a model that computes its own loss (a masked autoencoder's output `loss`) on the
// images of some classes: the original encoder–decoder that teacher–student unlearning starts
// from, and the model retrained from scratch on the retain classes only, the gold standard the
// unlearnt one is compared with.
import type { TrainingBudget } from '../../train/spec.js';
import type { Graph } from '../../ir/types.js';
import type { Dataset } from '../../../runtime/data/dataset.js';
import { epochOrder, type Normalisation } from '../../../runtime/data/batches.js';
import { trainGraph, type GraphTrainingResult } from './graph-trainer.js';
import { gatherImages } from './teacher-student.js';

export interface SelfSupervisedRun extends TrainingBudget {
  readonly model: Graph;
  readonly data: Dataset;
  /** Training sample indices (a class subset, a limit). */
  readonly samples: readonly number[];
  readonly norm: Normalisation;
  /** Starting weights (the others are drawn from their initialisers with the seed). */
  readonly params?: ReadonlyMap<string, ArrayLike<number>>;
  readonly logEvery?: number;
  readonly log?: (step: number, loss: number) => void;
}

export function trainSelfSupervised(r: SelfSupervisedRun): Promise<GraphTrainingResult> {
  const d = r.model.values[r.model.inputs[0]!]!.def;
  const input = d.kind === 'input' ? d.name : 'x';
  const stepsPerEpoch = Math.floor(r.samples.length / r.batch);
  if (stepsPerEpoch === 0) throw new RangeError(`${r.samples.length} samples make no batch of ${r.batch}`);
  return trainGraph({
    graph: r.model,
    optimizer: r.optimizer,
    lr: r.lr,
    schedule: r.schedule,
    batch: r.batch,
    steps: stepsPerEpoch * r.epochs,
    stepsPerEpoch,
    seed: r.seed,
    params: r.params ?? new Map(),
    feed: (s) => {
      const order = epochOrder(r.samples.length, r.seed, Math.floor(s / stepsPerEpoch));
      const start = (s % stepsPerEpoch) * r.batch;
      const idx = Array.from({ length: r.batch }, (_, k) => r.samples[order[start + k]!]!);
      return { [input]: gatherImages(r.data, idx, r.norm).x };
    },
    ...(r.logEvery ? { logEvery: r.logEvery } : {}),
    ...(r.log ? { log: r.log } : {}),
  });
}
