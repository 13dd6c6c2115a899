// The re-training baseline's models: the same model trained from other seeds with `mdl train`'s
// machinery (the training step, the WebGPU backend, the training loop and its checkpoints), one
// folder per seed. A folder that already holds a finished run is reused, with the training time
// it recorded, so an interrupted baseline continues where it stopped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LossSpec } from '../../autodiff/grad.js';
import type { OptimizerSpec } from '../../autodiff/optimizer.js';
import type { Graph } from '../../ir/types.js';
import { rewrittenTrainStep } from '../../rewrites/index.js';
import type { RewritePlan } from '../../rewrites/select.js';
import { TRAIN_BACKENDS, type TrainBackendName } from '../train/backends.js';
import type { Split } from '../../../runtime/data/dataset.js';
import type { Schedule } from '../../../runtime/train/schedule.js';
import type { Progress } from '../../../runtime/train/trainer.js';
import { recordRetrained, retrainedRecord, type Method } from './run.js';

export interface RetrainSettings {
  readonly graph: Graph;
  readonly source: { readonly path: string; readonly hash: string };
  readonly data: Split;
  readonly loss: LossSpec;
  readonly optimizer: OptimizerSpec;
  readonly lr: number;
  readonly schedule: Schedule;
  readonly batch: number;
  readonly epochs: number;
  readonly frozen: readonly string[];
  readonly rewrites: RewritePlan;
  readonly seeds: readonly number[];
  readonly backend: TrainBackendName;
  /** Train on the first this many training samples of a fixed shuffle (quick runs, tests). */
  readonly limit?: number;
  /** One folder per seed inside: seed-N. */
  readonly outDir: string;
  readonly progress?: Progress;
}

export function retrainedModels(s: RetrainSettings): Extract<Method, { kind: 'retrain' }>['models'] {
  const names = new Set(s.graph.params.map((p) => p.name));
  return s.seeds.map((seed) => ({
    seed,
    async train() {
      const dir = join(s.outDir, `seed-${seed}`);
      const ckpt = join(dir, 'checkpoint.safetensors');
      const { readCheckpoint } = await import('../../../runtime/checkpoint/safetensors.js');
      const weights = (c: ReturnType<typeof readCheckpoint>) =>
        new Map(
          [...c.tensors]
            .filter(([k, t]) => names.has(k) && t.data instanceof Float32Array)
            .map(([k, t]) => [k, t.data as Float32Array]),
        );
      const rec = retrainedRecord(dir);
      if (rec && existsSync(ckpt)) {
        const c = readCheckpoint(ckpt);
        if (Number(c.metadata['epochs_done']) === s.epochs) {
          s.progress?.line(`seed ${seed}: reusing ${ckpt} (trained in ${rec.seconds.toFixed(1)} s)`);
          return { params: weights(c), seconds: rec.seconds, reused: true };
        }
      }
      const { step } = rewrittenTrainStep(s.graph, s.rewrites, {
        loss: s.loss,
        optimizer: s.optimizer,
        frozen: [...s.frozen],
      });
      const backend = await TRAIN_BACKENDS[s.backend].create({
        step,
        forward: s.graph,
        sampleShape: s.data.train.shape,
        batch: s.batch,
        seed,
      });
      const { train } = await import('../../../runtime/train/trainer.js');
      try {
        const t0 = performance.now();
        const res = await train(backend, {
          source: s.source,
          model: s.graph.name,
          data: s.data,
          epochs: s.epochs,
          batch: s.batch,
          lr: s.lr,
          seed,
          optimizer: s.optimizer,
          schedule: s.schedule,
          outDir: dir,
          resume: existsSync(ckpt),
          logEvery: 50,
          ...(s.limit !== undefined ? { limit: s.limit } : {}),
          ...(s.progress ? { progress: s.progress } : {}),
        });
        const seconds = (performance.now() - t0) / 1000;
        const last = res.epochs[res.epochs.length - 1];
        s.progress?.line(
          `seed ${seed}: trained in ${seconds.toFixed(1)} s${last ? `, test accuracy ${(100 * last.testAccuracy).toFixed(2)}%` : ''}`,
        );
        recordRetrained(dir, seconds);
        return { params: weights(readCheckpoint(ckpt)), seconds, reused: false };
      } finally {
        backend.dispose();
      }
    },
  }));
}
