// The baselines Fast-NTK is judged against, trained with `mdl train`'s machinery (the training
// step, a training backend, the training loop and its checkpoints) on the retain set only:
// retraining from scratch (the gold standard of unlearning) and fine-tuning the trained model
// (its weights and input normalisation kept). Each reports its wall time.
import type { TrainingBudget } from '../../train/spec.js';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../ir/types.js';
import { rewrittenTrainStep } from '../../rewrites/index.js';
import { TRAIN_BACKENDS, type TrainBackendName } from '../train/backends.js';
import type { Split } from '../../../runtime/data/dataset.js';
import type { Normalisation } from '../../../runtime/data/batches.js';
import type { Progress } from '../../../runtime/train/trainer.js';

export interface BaselineRun extends TrainingBudget {
  readonly graph: Graph;
  readonly source: { readonly path: string; readonly hash: string };
  /** The retain set as the training split; its test split is what each epoch reports. */
  readonly data: Split;
  readonly backend: TrainBackendName;
  /** A folder of its own: emptied first. */
  readonly outDir: string;
  /** Fine-tuning: the trained weights and buffers, and the normalisation they were trained with. */
  readonly init?: { readonly params: ReadonlyMap<string, Float64Array>; readonly norm: Normalisation };
  readonly progress?: Progress;
}

export interface BaselineResult {
  readonly params: Map<string, Float64Array>;
  readonly norm: Normalisation;
  readonly seconds: number;
}

export async function trainBaseline(r: BaselineRun): Promise<BaselineResult> {
  if (existsSync(join(r.outDir, 'checkpoint.safetensors')) || existsSync(join(r.outDir, 'metrics.jsonl')))
    rmSync(r.outDir, { recursive: true });
  const t0 = performance.now();
  const { step } = rewrittenTrainStep(r.graph, new Map(), {
    loss: { kind: 'cross_entropy' },
    optimizer: r.optimizer,
  });
  const backend = await TRAIN_BACKENDS[r.backend].create({
    step,
    forward: r.graph,
    sampleShape: r.data.train.shape,
    batch: r.batch,
    seed: r.seed,
  });
  const { train } = await import('../../../runtime/train/trainer.js');
  const { readCheckpoint } = await import('../../../runtime/checkpoint/safetensors.js');
  try {
    if (r.init)
      await backend.load(
        new Map([...r.init.params].map(([k, v]) => [k, { shape: shapeOf(r.graph, k), data: Float32Array.from(v) }])),
      );
    const res = await train(backend, {
      source: r.source,
      model: r.graph.name,
      data: r.data,
      epochs: r.epochs,
      batch: r.batch,
      lr: r.lr,
      seed: r.seed,
      optimizer: r.optimizer,
      schedule: r.schedule,
      outDir: r.outDir,
      resume: false,
      logEvery: 50,
      ...(r.init ? { norm: r.init.norm } : {}),
      ...(r.progress ? { progress: r.progress } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const c = readCheckpoint(res.checkpoint);
    const names = new Set(r.graph.params.map((p) => p.name));
    const params = new Map(
      [...c.tensors].filter(([k]) => names.has(k)).map(([k, t]) => [k, Float64Array.from(t.data)] as const),
    );
    return { params, norm: JSON.parse(c.metadata['normalisation']!) as Normalisation, seconds };
  } finally {
    backend.dispose();
  }
}

function shapeOf(g: Graph, name: string): readonly number[] {
  return g.params.find((p) => p.name === name)!.shape;
}
