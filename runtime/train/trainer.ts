// The training loop, the same for every backend: seeded epochs of shuffled batches, a
// learning-rate schedule evaluated per step, the loss read back only every `logEvery` steps,
// test accuracy after each epoch, JSONL metrics, and atomic safetensors checkpoints from which
// `--resume` continues exactly where the run stopped (same batches, same losses).
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OptimizerSpec } from '../plan/types.js';
import { learningRate, type Schedule } from './schedule.js';
import type { NamedTensor } from '../checkpoint/safetensors.js';
import { checkFits, layoutOf } from '../checkpoint/validate.js';
import { readTrainState, removeStaleTrainTemps, saveTrainState } from '../checkpoint/train-state.js';
import { batches, channelStats, epochOrder, type Normalisation } from '../data/batches.js';
import type { Split } from '../data/dataset.js';
import type { Backend } from './backend.js';

/** What a run trains with, besides the model and the data. */
export interface Hyperparameters {
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly seed: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule: Schedule;
}

export interface TrainConfig extends Hyperparameters {
  /** The .mdl source and a hash of it (and its imports): a checkpoint only resumes its own model. */
  readonly source: { readonly path: string; readonly hash: string };
  readonly model: string;
  readonly data: Split;
  readonly outDir: string;
  readonly resume: boolean;
  /** Read the loss back every this many steps (a GPU round trip each). */
  readonly logEvery: number;
  /** Use only the first `limit` training samples (quick runs). */
  readonly limit?: number;
  /**
   * The input normalisation (default: the training set's per-channel statistics). Fine-tuning
   * a trained model on another set keeps the statistics it was trained with.
   */
  readonly norm?: Normalisation;
  /** Aborted by Ctrl-C: the loop finishes its step, writes a checkpoint and returns. */
  readonly signal?: AbortSignal;
  /** Progress reporting (a terminal bar, or nothing). */
  readonly progress?: Progress;
}

export interface Progress {
  update(s: {
    epoch: number;
    epochs: number;
    batch: number;
    batches: number;
    loss: number | undefined;
    samplesPerSecond: number;
    etaSeconds: number;
  }): void;
  line(text: string): void;
  done(): void;
}

export interface EpochResult {
  readonly epoch: number;
  readonly testAccuracy: number;
  readonly meanLoss: number;
}

export interface TrainResult {
  readonly steps: number;
  readonly interrupted: boolean;
  readonly checkpoint: string;
  readonly losses: readonly { readonly step: number; readonly loss: number }[];
  readonly epochs: readonly EpochResult[];
}

export class ResumeError extends Error {}

/** Top-1 accuracy of the backend's predictions on a data set (inference mode). */
export async function accuracy(
  backend: Backend,
  data: Split['test'],
  batch: number,
  norm: Normalisation,
): Promise<number> {
  let right = 0;
  const classes = data.classes;
  for (const b of batches(data, batch, { shuffle: false, norm })) {
    const logits = await backend.predict(b.x, b.size);
    for (let i = 0; i < b.size; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
      if (best === b.y[i]) right++;
    }
  }
  return right / data.count;
}

/**
 * Rewrites the metrics file without the rows of steps after `step` and without a torn last
 * line, atomically (beside, then renamed).
 */
function keepMetricsUpTo(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    const s = (row as { step?: unknown } | null)?.step;
    if (typeof s === 'number' && s > step) continue;
    kept.push(line);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, kept.map((l) => l + '\n').join(''));
  renameSync(tmp, file);
}

/** A fixed, seed-independent random subset: data files are often sorted by class. */
export function limited(split: Split, limit: number | undefined): Split['train'] {
  const d = split.train;
  if (limit === undefined || limit >= d.count) return d;
  const per = d.shape[0] * d.shape[1] * d.shape[2];
  const pick = epochOrder(d.count, 0x5eed, 0).subarray(0, limit);
  const images = new Float32Array(limit * per);
  const labels = new Int32Array(limit);
  pick.forEach((i, k) => {
    images.set(d.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = d.labels[i]!;
  });
  return { ...d, count: limit, images, labels };
}

export async function train(backend: Backend, cfg: TrainConfig): Promise<TrainResult> {
  mkdirSync(cfg.outDir, { recursive: true });
  const ckptFile = join(cfg.outDir, 'checkpoint.safetensors');
  const metricsFile = join(cfg.outDir, 'metrics.jsonl');
  const trainSet = limited(cfg.data, cfg.limit);
  const stepsPerEpoch = Math.floor(trainSet.count / cfg.batch);
  if (stepsPerEpoch === 0)
    throw new ResumeError(`the training set has ${trainSet.count} samples, fewer than one batch of ${cfg.batch}`);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const norm = cfg.norm ?? channelStats(trainSet);
  let step = 0;

  // A run killed while it wrote its checkpoint left the temporary file beside it.
  removeStaleTrainTemps(ckptFile);
  // A run killed before its first checkpoint left only its metrics: nothing trained was saved,
  // so resuming it is starting it again.
  const restart = cfg.resume && !existsSync(ckptFile) && existsSync(metricsFile);
  if (restart)
    cfg.progress?.line(
      `--resume: ${cfg.outDir} has no checkpoint yet (stopped in the first epoch); starting from step 0`,
    );
  if (cfg.resume && !restart) {
    if (!existsSync(ckptFile))
      throw new ResumeError(`--resume: there is no checkpoint in ${cfg.outDir} to resume from`);
    // The weights and the optimizer state of their step (./checkpoint/train-state.ts).
    const saved = readTrainState(ckptFile);
    const c = saved.checkpoint;
    const m = c.metadata;
    if (m['source_hash'] !== cfg.source.hash)
      throw new ResumeError(
        `${ckptFile} was trained from a different version of the model source; resume needs the same file (or start afresh without --resume)`,
      );
    for (const k of ['seed', 'batch', 'model'] as const) {
      const want = String(k === 'seed' ? cfg.seed : k === 'batch' ? cfg.batch : cfg.model);
      if (m[k] !== want)
        throw new ResumeError(
          `${ckptFile} was trained with ${k} ${m[k]}, this run has ${want}; resume with the same settings`,
        );
    }
    step = saved.step;
    // Every tensor of the training state, with its shape and dtype, and nothing else.
    checkFits(ckptFile, c, layoutOf(await backend.state()), 'all');
    await backend.load(c.tensors);
    // A run killed after its last checkpoint logged steps past it: they are run again now, and
    // logged again, so their first rows go (as does a row the kill cut short).
    keepMetricsUpTo(metricsFile, step);
  } else {
    // Never overwrite what an earlier run trained.
    if (existsSync(ckptFile))
      throw new ResumeError(
        `${cfg.outDir} already holds a checkpoint; continue it with --resume, or choose another --out`,
      );
    writeFileSync(metricsFile, '');
  }

  const log = (o: Record<string, unknown>) => appendFileSync(metricsFile, JSON.stringify(o) + '\n');
  const saveCheckpoint = async (epochsDone: number) => {
    const state: Map<string, NamedTensor> = await backend.state();
    // What describes the weights goes with them; what only resuming needs, with the optimizer state.
    saveTrainState(ckptFile, {
      state,
      step,
      weightsMetadata: {
        model: cfg.model,
        source_hash: cfg.source.hash,
        seed: String(cfg.seed),
        epochs_done: String(epochsDone),
        normalisation: JSON.stringify(norm),
      },
      stateMetadata: {
        model: cfg.model,
        source: cfg.source.path,
        source_hash: cfg.source.hash,
        seed: String(cfg.seed),
        batch: String(cfg.batch),
        epochs_done: String(epochsDone),
        optimizer: JSON.stringify(cfg.optimizer),
        schedule: JSON.stringify(cfg.schedule),
        lr: String(cfg.lr),
        normalisation: JSON.stringify(norm),
        data: cfg.data.source,
      },
    });
  };

  const losses: { step: number; loss: number }[] = [];
  const epochs: EpochResult[] = [];
  let interrupted = false;
  const started = Date.now();
  const startStep = step;
  log({
    kind: 'start',
    model: cfg.model,
    backend: backend.description,
    data: cfg.data.source,
    train_samples: trainSet.count,
    test_samples: cfg.data.test.count,
    batch: cfg.batch,
    epochs: cfg.epochs,
    steps_per_epoch: stepsPerEpoch,
    seed: cfg.seed,
    resumed_at: cfg.resume ? step : undefined,
  });

  for (let epoch = Math.floor(step / stepsPerEpoch); epoch < cfg.epochs && !interrupted; epoch++) {
    const skip = step - epoch * stepsPerEpoch;
    let k = 0;
    let sum = 0;
    let count = 0;
    for (const b of batches(trainSet, cfg.batch, { seed: cfg.seed, epoch, norm, dropLast: true })) {
      if (k++ < skip) continue;
      const lr = learningRate(cfg.schedule, { baseLr: cfg.lr, stepsPerEpoch, totalSteps }, step);
      const read = (step + 1) % cfg.logEvery === 0 || k === stepsPerEpoch;
      const loss = await backend.step(b.x, b.y, b.size, lr, step, read);
      step++;
      if (loss !== undefined) {
        if (!Number.isFinite(loss))
          throw new ResumeError(`the loss became ${loss} at step ${step}; lower the learning rate (now ${lr})`);
        losses.push({ step, loss });
        sum += loss;
        count++;
        const elapsed = (Date.now() - started) / 1000;
        const rate = ((step - startStep) * cfg.batch) / Math.max(elapsed, 1e-3);
        log({ kind: 'step', step, epoch: epoch + 1, loss, lr, samples_per_s: Math.round(rate) });
        cfg.progress?.update({
          epoch: epoch + 1,
          epochs: cfg.epochs,
          batch: k,
          batches: stepsPerEpoch,
          loss,
          samplesPerSecond: rate,
          etaSeconds: ((totalSteps - step) * cfg.batch) / Math.max(rate, 1e-9),
        });
      }
      // A backend that computes on this thread (the reference interpreter) never lets the event
      // loop run, and a Ctrl-C is delivered by the event loop: give it a turn after every step.
      if (cfg.signal) await new Promise<void>((resolve) => setImmediate(resolve));
      if (cfg.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
    const acc = await accuracy(backend, cfg.data.test, cfg.batch, norm);
    const r = { epoch: epoch + 1, testAccuracy: acc, meanLoss: count ? sum / count : NaN };
    epochs.push(r);
    log({ kind: 'epoch', epoch: epoch + 1, step, test_accuracy: acc, mean_loss: r.meanLoss });
    cfg.progress?.line(
      `epoch ${epoch + 1}/${cfg.epochs}: mean loss ${r.meanLoss.toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%`,
    );
    await saveCheckpoint(epoch + 1);
  }
  if (interrupted) {
    await saveCheckpoint(Math.floor(step / stepsPerEpoch));
    log({ kind: 'interrupted', step });
  }
  // No epoch to train (`--epochs 0`): the starting weights (from `--init`, say: weights trained
  // elsewhere) evaluated on the test split and saved as the run's checkpoint.
  if (cfg.epochs === 0 && !cfg.resume) {
    const acc = await accuracy(backend, cfg.data.test, cfg.batch, norm);
    epochs.push({ epoch: 0, testAccuracy: acc, meanLoss: NaN });
    log({ kind: 'epoch', epoch: 0, step, test_accuracy: acc });
    cfg.progress?.line(`no epoch to train: test accuracy of the starting weights ${(100 * acc).toFixed(2)}%`);
    await saveCheckpoint(0);
  }
  cfg.progress?.done();
  return { steps: step, interrupted, checkpoint: ckptFile, losses, epochs };
}
