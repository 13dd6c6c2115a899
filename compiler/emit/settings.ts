// The training settings of a train section, completed with the defaults for what it does not
// give: what an executable is compiled with, and what `mdl train` starts from before its flags
// (compiler/cli/commands/train.ts), so `node DIR/model.js` trains exactly as `mdl train FILE`
// does; test/emit checks they agree on the losses.
import { createHash } from 'node:crypto';
import type { OptimizerSpec } from '../autodiff/optimizer.js';
import type { SourceFile } from '../source.js';
import type { TrainSpec } from '../train/spec.js';
import type { TrainSettings } from '../../runtime/standalone.js';

export const DEFAULT_BATCH = 64;

/** The learning rate an optimizer gets when nothing sets one. */
export function defaultLr(optimizer: OptimizerSpec): number {
  return optimizer.kind === 'sgd' ? 0.05 : 1e-3;
}

export function trainSettings(spec: TrainSpec | undefined, batch?: number): TrainSettings {
  const optimizer: OptimizerSpec = spec?.optimizer ?? { kind: 'sgd', momentum: 0.9 };
  return {
    data: spec?.data ?? 'mnist',
    epochs: spec?.epochs ?? 3,
    batch: batch ?? spec?.batch ?? DEFAULT_BATCH,
    lr: spec?.lr ?? defaultLr(optimizer),
    seed: spec?.seed ?? 0,
    optimizer,
    schedule: spec?.schedule ?? { kind: 'cosine', warmup: 0, minLr: 0 },
  };
}

/** The hash a checkpoint records of the model's sources (the file and its imports), as `mdl train` computes it. */
export function sourceHash(sources: ReadonlyMap<string, SourceFile>): string {
  const hash = createHash('sha256');
  for (const [p, s] of [...sources].sort(([a], [b]) => a.localeCompare(b)))
    hash.update(p).update('\0').update(s.text).update('\0');
  return hash.digest('hex');
}
