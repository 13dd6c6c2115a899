// `mdl train`: compile a model's training step (forward, cross-entropy, backward, optimizer
// update) and train it on real data, with a progress bar, JSONL metrics, test accuracy per
// epoch and atomic safetensors checkpoints; `--resume` continues exactly; Ctrl-C stops cleanly
// with a checkpoint.
import { isTrainBackend, TRAIN_BACKEND_NAMES, TRAIN_BACKENDS } from '../../drivers/train/backends.js';
import type { OptimizerSpec } from '../../autodiff/optimizer.js';
import { mergeLora, mergeNtk, rewrittenTrainStep } from '../../rewrites/index.js';
import { formatStrategy } from '../../rewrites/strategy.js';
import { defaultLr, sourceHash, trainSettings } from '../../emit/settings.js';
import { formatShape } from '../../ir/shape.js';
import type { Schedule } from '../../../runtime/train/schedule.js';
import { UsageError } from '../args.js';
import { compileTrainingArgs, report, type Command } from '../command.js';
import { CliError } from '../errors.js';
import { cannotWrite, isFsError } from '../files.js';
import { SPECS } from './specs.js';

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw'];
const SCHEDULES = ['constant', 'cosine', 'step'];

export const train: Command = {
  spec: SPECS.train,
  async run(args) {
    const f = <T>(k: string) => args.flags.get(k) as T | undefined;
    const backendName = f<string>('backend') ?? 'webgpu';
    if (!isTrainBackend(backendName))
      throw new UsageError(`unknown backend "${backendName}"`, `backends: ${TRAIN_BACKEND_NAMES.join(', ')}`);
    const file = args.positional[0]!;
    const r = compileTrainingArgs(args);
    if (!report(r) || !r.graph) return 1;
    const g = r.graph;
    const spec = r.spec;

    // The file's train section gives the settings; flags override them.
    const optName = f<string>('optimizer');
    if (optName !== undefined && !OPTIMIZERS.includes(optName))
      throw new UsageError(`unknown optimizer "${optName}"`, `optimizers: ${OPTIMIZERS.join(', ')}`);
    const schedName = f<string>('schedule');
    if (schedName !== undefined && !SCHEDULES.includes(schedName))
      throw new UsageError(`unknown schedule "${schedName}"`, `schedules: ${SCHEDULES.join(', ')}`);
    const seedText = f<string>('seed');
    if (seedText !== undefined && !/^\d+$/.test(seedText))
      throw new UsageError(`--seed must be a non-negative integer, got "${seedText}"`);
    // The section's settings completed with the defaults (what `mdl compile` builds with too).
    const base = trainSettings(spec, f<number>('batch'));
    const seed = seedText !== undefined ? Number(seedText) : base.seed;
    const wd = f<number>('weight-decay');
    const optimizer: OptimizerSpec =
      optName === undefined
        ? wd === undefined
          ? base.optimizer
          : { ...base.optimizer, weightDecay: wd }
        : optName === 'sgd'
          ? { kind: 'sgd', weightDecay: wd ?? 0 }
          : optName === 'momentum'
            ? { kind: 'sgd', momentum: 0.9, weightDecay: wd ?? 0 }
            : optName === 'nesterov'
              ? { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: wd ?? 0 }
              : { kind: optName as 'adam' | 'adamw', weightDecay: wd ?? (optName === 'adamw' ? 0.01 : 0) };
    const lr = f<number>('lr') ?? (optName === undefined ? base.lr : defaultLr(optimizer));
    if (!(lr > 0)) throw new UsageError(`--lr must be positive, got ${lr}`);
    const warmup = f<number>('warmup') ?? 0;
    const schedule: Schedule =
      schedName === undefined
        ? (spec?.schedule ?? { kind: 'cosine', warmup, minLr: 0 })
        : schedName === 'constant'
          ? { kind: 'constant', warmup }
          : schedName === 'step'
            ? { kind: 'step', warmup, every: 1, gamma: 0.5 }
            : { kind: 'cosine', warmup, minLr: 0 };

    const { loadData } = await import('../../../runtime/data/resolve.js');
    const { DataError } = await import('../../../runtime/data/dataset.js');
    let data;
    try {
      data = loadData(f<string>('data') ?? base.data);
    } catch (e) {
      if (e instanceof DataError) throw new CliError('MDL5008', e.message, e.hint);
      throw e;
    }
    // Teacher–student unlearning of an encoder–decoder (its own driver; the model has no logits).
    if (spec?.teacherStudent) {
      const { trainTeacherStudent } = await import('./train-teacher-student.js');
      return trainTeacherStudent({
        file,
        graph: g,
        spec: spec.teacherStudent,
        optimizer,
        lr,
        schedule,
        batch: base.batch,
        epochs: f<number>('epochs') ?? base.epochs,
        seed,
        data,
        out: f<string>('out') ?? `runs/${g.name}-unlearnt`,
        init: f<string>('init'),
        sourceHash: sourceHash(r.sources),
      });
    }
    // The model must fit the data: one image input [B, C, H, W] and logits [B, classes].
    if (g.inputs.length !== 1)
      throw new CliError('MDL7006', `${g.name} has ${g.inputs.length} inputs; mdl train feeds one image input`);
    const inShape = g.values[g.inputs[0]!]!.type.shape;
    const want = [inShape[0]!, ...data.train.shape];
    if (inShape.length !== 4 || inShape.slice(1).some((d, i) => d !== data.train.shape[i]))
      throw new CliError(
        'MDL7007',
        `${g.name} takes input ${formatShape(inShape)}, but ${data.source} has samples of shape ${formatShape(data.train.shape)}`,
        `declare the input as x: Tensor${formatShape(want)}`,
      );
    const outShape = g.outputs.length === 1 ? g.values[g.outputs[0]!.value]!.type.shape : [];
    if (outShape.length !== 2 || outShape[1] !== data.train.classes)
      throw new CliError(
        'MDL7007',
        `${g.name} must return logits [B, ${data.train.classes}] for ${data.train.classes} classes, it returns ${formatShape(outShape)}`,
      );

    if (spec && spec.loss.kind !== 'cross_entropy')
      throw new CliError(
        'MDL7006',
        `mdl train trains classifiers with cross_entropy; ${spec.name} asks for ${spec.loss.kind}`,
      );
    // --anytime: sub-networks sampled each step through the gates of one plan (compiler/anytime/).
    const anytime = f<string>('anytime');
    if (anytime !== undefined) {
      const { isSampler, SAMPLER_NAMES } = await import('../../drivers/anytime/sampler.js');
      if (!isSampler(anytime))
        throw new CliError('MDL8704', `unknown anytime sampler "${anytime}"`, `samplers: ${SAMPLER_NAMES.join(', ')}`);
      if (backendName !== 'webgpu')
        throw new UsageError('anytime training runs on WebGPU only', 'leave out --backend (or pass --backend webgpu)');
      const { checkedFamily } = await import('../../anytime/command.js');
      const family = checkedFamily(g);
      if ('code' in family) return report({ diagnostics: [family], sources: r.sources }) ? 0 : 1;
      const { limited } = await import('../../../runtime/train/trainer.js');
      const train = limited(data, f<number>('limit'));
      const { trainAnytimeCommand } = await import('./train-anytime.js');
      return trainAnytimeCommand({
        graph: g,
        family,
        sampler: anytime,
        data: { ...data, train },
        optimizer,
        lr,
        batch: base.batch,
        steps: (f<number>('epochs') ?? base.epochs) * Math.floor(train.count / base.batch),
        seed,
        out: f<string>('out') ?? `runs/${g.name}`,
        logEvery: f<number>('log-every') ?? 10,
      });
    }
    if (spec?.continual) {
      if (backendName !== 'webgpu')
        throw new UsageError(
          'continual training runs on WebGPU only',
          'leave out --backend (or pass --backend webgpu)',
        );
      const { trainContinual } = await import('./train-continual.js');
      return trainContinual({
        file,
        graph: g,
        plan: r.rewrites,
        frozen: r.frozen,
        spec: spec.continual,
        optimizer,
        lr,
        batch: base.batch,
        seed,
        data,
        out: f<string>('out') ?? `runs/${g.name}`,
        init: f<string>('init'),
        sourceHash: sourceHash(r.sources),
      });
    }
    // The section's backward rules: LoRA adapters / the NTK linearisation change the trained
    // graph (so predictions use it too); grad_filter and lbp_wht replace layers' VJPs.
    const { step, rewritten } = rewrittenTrainStep(g, r.rewrites, {
      loss: spec?.loss ?? { kind: 'cross_entropy' },
      optimizer,
      frozen: r.frozen,
    });
    const trained = rewritten.graph;
    const merge = f<boolean>('merge') === true;
    if (merge && rewritten.adapters.length === 0 && rewritten.deltas.size === 0)
      throw new UsageError(
        '--merge folds LoRA adapters or NTK offsets into the weights, and this run has none',
        'add a `backward … = lora(…)` or `ntk_linear()` rule to the train section',
      );
    let backend;
    try {
      backend = await TRAIN_BACKENDS[backendName].create({
        step,
        forward: trained,
        sampleShape: data.train.shape,
        batch: base.batch,
        seed,
      });
    } catch (e) {
      const { NoAdapterError } = await import('../../../runtime/device.js');
      if (e instanceof NoAdapterError)
        throw new CliError('MDL7008', e.message, 'or train on the CPU with --backend reference');
      throw e;
    }
    const { train: runTraining, ResumeError } = await import('../../../runtime/train/trainer.js');
    const { CheckpointError } = await import('../../../runtime/checkpoint/safetensors.js');
    const { terminalProgress, finishedLine } = await import('../../../runtime/train/progress.js');
    const { stopOnSigint } = await import('../../../runtime/train/interrupt.js');
    const interrupt = stopOnSigint();
    const progress = terminalProgress();
    const out = f<string>('out') ?? `runs/${g.name}`;
    progress.line(
      `training ${g.name} on ${data.source}: ${data.train.count} train / ${data.test.count} test samples, with ${backend.description}`,
    );
    // --init: a new run that starts from trained weights (fine-tuning, adaptation under backward
    // rewrites). Parameters and buffers are taken by name; new ones (LoRA adapters, NTK
    // offsets) keep their initialisation; optimizer state starts afresh.
    const initFile = f<string>('init');
    if (initFile !== undefined) {
      if (f<boolean>('resume'))
        throw new UsageError(
          '--init and --resume exclude each other',
          '--resume continues a run; --init starts a new one from trained weights',
          'MDL7005',
        );
      const { readCheckpoint } = await import('../../../runtime/checkpoint/safetensors.js');
      const { checkFits, layoutOf } = await import('../../../runtime/checkpoint/validate.js');
      let c;
      try {
        c = readCheckpoint(initFile);
        // Whatever it holds of the model must have the model's shapes and dtypes.
        checkFits(initFile, c, layoutOf(await backend.state()), 'some');
      } catch (e) {
        backend.dispose();
        if (e instanceof CheckpointError) throw new CliError(e.kind === 'damaged' ? 'MDL5009' : 'MDL5010', e.message);
        throw e;
      }
      const own = new Map(trained.params.filter((p) => !p.name.includes('@')).map((p) => [p.name, p]));
      const take = new Map<string, import('../../../runtime/checkpoint/safetensors.js').NamedTensor>();
      for (const [k, t] of c.tensors) {
        const p = own.get(k);
        if (!p) continue;
        if (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i]))
          throw new CliError(
            'MDL5010',
            `${initFile}: \`${k}\` has shape [${t.shape.join(', ')}], the model's is [${p.shape.join(', ')}]`,
          );
        take.set(k, t);
      }
      if (take.size === 0) throw new CliError('MDL5010', `${initFile} holds none of ${g.name}'s parameters`);
      await backend.load(take);
      const fresh = [...own.keys()].filter((k) => !take.has(k));
      progress.line(
        `initialised ${take.size} of ${own.size} parameters and buffers from ${initFile}${fresh.length ? `; ${fresh.length} start from their initialisers (${fresh.slice(0, 4).join(', ')}${fresh.length > 4 ? ', …' : ''})` : ''}`,
      );
    }
    if (r.rewrites.size) {
      const counts = new Map<string, number>();
      for (const a of r.rewrites.values())
        counts.set(formatStrategy(a.strategy), (counts.get(formatStrategy(a.strategy)) ?? 0) + 1);
      progress.line(
        `backward: ${[...counts].map(([k, n]) => `${k} on ${n} layer${n === 1 ? '' : 's'}`).join(', ')}; exact elsewhere`,
      );
    }
    try {
      const res = await runTraining(backend, {
        source: { path: file, hash: sourceHash(r.sources) },
        model: g.name,
        data,
        epochs: f<number>('epochs') ?? base.epochs,
        batch: base.batch,
        lr,
        seed,
        optimizer,
        schedule,
        outDir: out,
        resume: f<boolean>('resume') === true,
        logEvery: f<number>('log-every') ?? 10,
        ...(f<number>('limit') !== undefined ? { limit: f<number>('limit')! } : {}),
        signal: interrupt.signal,
        progress,
      });
      // --merge: the trained adapters (LoRA) or offsets (NTK) folded into the model's own
      // weights, as a checkpoint the plain model loads (`--init`, or any safetensors reader).
      if (merge && !res.interrupted) {
        const { writeCheckpoint } = await import('../../../runtime/checkpoint/safetensors.js');
        const { join } = await import('node:path');
        const state = new Map(
          [...(await backend.state())]
            .filter(([k]) => !k.includes('@'))
            .map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
        );
        const merged = mergeNtk(mergeLora(state, rewritten.adapters), rewritten.deltas);
        const file = join(out, 'merged.safetensors');
        writeCheckpoint(file, { tensors: merged, metadata: { model: g.name, merged_from: res.checkpoint } });
        progress.line(
          `merged ${rewritten.adapters.length ? `${rewritten.adapters.length} LoRA adapters` : `${rewritten.deltas.size} NTK offsets`} into the weights: ${file}`,
        );
      }
      // The result on stdout (`mdl train … > log` keeps it); progress and logs went to stderr.
      process.stdout.write(finishedLine(res, out) + '\n');
      return res.interrupted ? 130 : 0;
    } catch (e) {
      if (e instanceof ResumeError) throw new CliError('MDL7010', e.message);
      if (e instanceof CheckpointError) throw new CliError(e.kind === 'damaged' ? 'MDL5009' : 'MDL5010', e.message);
      // The run's folder, metrics and checkpoints: what the trainer writes.
      if (isFsError(e)) throw cannotWrite(e.path ?? out, e);
      throw e;
    } finally {
      interrupt.dispose();
      backend.dispose();
    }
  },
};
