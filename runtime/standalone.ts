// The `main()` of an executable `mdl compile` wrote: trains the compiled model on its train
// section's data with the trainer `mdl train` uses (same batches, schedule, metrics, checkpoints,
// `--resume`, Ctrl-C), through CompiledModel. Only what a compiled plan leaves open can be
// changed from the command line: epochs, data, learning rate, seed, a sample limit, the output
// folder. The batch size, optimizer and schedule are the compiled ones.
import { parseArgs } from 'node:util';
import { DataError } from './data/dataset.js';
import { loadData } from './data/resolve.js';
import { NoAdapterError } from './device.js';
import { ModelLoadError, type CompiledModel, type LoadOptions } from './model.js';
import { stopOnSigint } from './train/interrupt.js';
import { finishedLine, terminalProgress } from './train/progress.js';
import { ResumeError, train, type Hyperparameters } from './train/trainer.js';
import { CheckpointError } from './checkpoint/safetensors.js';
import { WebGpuBackend } from './train/webgpu-backend.js';

/** The train section's settings, resolved as `mdl train` resolves them; `data` names the data set. */
export interface TrainSettings extends Hyperparameters {
  readonly data: string;
}

export interface MainSpec {
  readonly model: string;
  /** The .mdl source and the hash of it and its imports (checkpoints resume only their own model). */
  readonly source: { readonly path: string; readonly hash: string };
  readonly settings: TrainSettings;
  readonly load: (opts: LoadOptions) => Promise<CompiledModel>;
}

const USAGE =
  'usage: node model.js [--epochs N] [--limit N] [--data NAME|PATH] [--lr X] [--seed N] [--out DIR] [--resume] [--log-every N]';

class UsageError extends Error {}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`--${flag} must be a positive integer, got "${v}"`);
  return Number(v);
}

/** Parses `argv`, trains, and returns the exit code (0 done, 1 bad input, 2 bad usage, 130 interrupted). */
export async function trainMain(spec: MainSpec, argv: readonly string[]): Promise<number> {
  const err = (s: string) => process.stderr.write(s + '\n');
  let flags;
  try {
    flags = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        epochs: { type: 'string' },
        limit: { type: 'string' },
        data: { type: 'string' },
        lr: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean' },
        'log-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    err(`error: ${(e as Error).message}\n  ${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(
      `${spec.model}, compiled by mdl: trains on ${spec.settings.data} (batch ${spec.settings.batch}, ${spec.settings.epochs} epochs)\n${USAGE}\n`,
    );
    return 0;
  }
  let epochs, limit, logEvery, seed, lr;
  try {
    epochs = positiveInt(flags.epochs, 'epochs') ?? spec.settings.epochs;
    limit = positiveInt(flags.limit, 'limit');
    logEvery = positiveInt(flags['log-every'], 'log-every') ?? 10;
    if (flags.seed !== undefined && !/^\d+$/.test(flags.seed))
      throw new UsageError(`--seed must be a non-negative integer, got "${flags.seed}"`);
    seed = flags.seed !== undefined ? Number(flags.seed) : spec.settings.seed;
    lr = flags.lr !== undefined ? Number(flags.lr) : spec.settings.lr;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr must be a positive number, got "${flags.lr}"`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`error: ${e.message}\n  ${USAGE}`);
    return 2;
  }

  let data;
  try {
    data = loadData(flags.data ?? spec.settings.data);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    err(`error: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
    return 1;
  }
  let model: CompiledModel;
  try {
    model = await spec.load({ seed });
  } catch (e) {
    if (!(e instanceof NoAdapterError || e instanceof ModelLoadError)) throw e;
    err(`error: ${e.message}`);
    return 1;
  }
  const { info } = model;
  if (data.train.shape.some((d, i) => d !== info.sampleShape[i]) || data.train.classes !== info.classes) {
    model.dispose();
    err(
      `error: ${info.model} takes samples of shape [${info.sampleShape.join(', ')}] in ${info.classes} classes; ${data.source} has [${data.train.shape.join(', ')}] in ${data.train.classes}`,
    );
    return 1;
  }

  const backend = new WebGpuBackend(model);
  const interrupt = stopOnSigint();
  const progress = terminalProgress();
  const out = flags.out ?? `runs/${spec.model}`;
  progress.line(
    `training ${spec.model} on ${data.source}: ${data.train.count} train / ${data.test.count} test samples, with ${backend.description}`,
  );
  try {
    const res = await train(backend, {
      source: spec.source,
      model: spec.model,
      data,
      epochs,
      batch: info.batch,
      lr,
      seed,
      optimizer: spec.settings.optimizer,
      schedule: spec.settings.schedule,
      outDir: out,
      resume: flags.resume === true,
      logEvery,
      ...(limit !== undefined ? { limit } : {}),
      signal: interrupt.signal,
      progress,
    });
    // The result on stdout, as `mdl train` writes it; progress and logs went to stderr.
    process.stdout.write(finishedLine(res, out) + '\n');
    return res.interrupted ? 130 : 0;
  } catch (e) {
    if (!(e instanceof ResumeError || e instanceof CheckpointError)) throw e;
    err(`error: ${e.message}`);
    return 1;
  } finally {
    interrupt.dispose();
    backend.dispose();
  }
}
