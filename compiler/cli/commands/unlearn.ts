// `mdl unlearn FILE --checkpoint CKPT --forget-classes 3`: Fast-NTK unlearning of a trained
// classifier. The forget set (classes, or a file of training-sample indices) is removed from
// what the model learnt by the closed-form NTK update in a parameter subset (by default a ViT's
// prompt tokens when it has some, otherwise every batchnorm's γ and β), computed from Jacobians on the WebGPU adapter (or the float64 reference
// interpreter) and solved in float64 on the host; the result is a new checkpoint, written
// atomically, that `mdl train --init` or any safetensors reader loads.
import { dirname, join, resolve } from 'node:path';
import { sourceHash } from '../../emit/settings.js';
import { formatShape } from '../../ir/shape.js';
import { OP_NAMES } from '../../ops/registry.js';
import { formatSelector, selectorOfText } from '../../rashomon/select.js';
import { SOLVE_FORMS, type SolveForm } from '../../unlearn/ntk.js';
import { UNLEARN_LOSSES, type UnlearnLoss } from '../../unlearn/residual.js';
import { defaultSubset, parameterSubset } from '../../unlearn/subset.js';
import { JACOBIAN_MODES, type JacobianMode } from '../../drivers/unlearn/jacobian.js';
import { UsageError } from '../args.js';
import { readSource, report, type Command } from '../command.js';
import { nodeHost } from '../../modules/node-host.js';
import { compileUnlearning } from '../../drivers/unlearn/compile.js';
import type { UnlearnSpec } from '../../unlearn/spec.js';
import { CliError } from '../errors.js';
import { readModelCheckpoint } from '../model-checkpoint.js';
import { cannotWrite, isFsError, readFile } from '../files.js';
import { modelArgs } from '../model-args.js';
import { SPECS } from './specs.js';

/** The default ridge strength λ (the kernel's diagonal is |S|·λ). */
export const DEFAULT_LAMBDA = 1e-3;

export const unlearn: Command = {
  spec: SPECS.unlearn,
  async run(args) {
    const f = <T>(k: string) => args.flags.get(k) as T | undefined;
    const ckptFile = f<string>('checkpoint');
    if (ckptFile === undefined)
      throw new UsageError(
        'mdl unlearn changes a trained model: give its weights with --checkpoint',
        'train one first: mdl train FILE (it writes runs/MODEL/checkpoint.safetensors)',
        'MDL7005',
      );
    const indicesFile = f<string>('forget-indices');
    if (f<string>('forget-classes') !== undefined && indicesFile !== undefined)
      throw new UsageError(
        '--forget-classes and --forget-indices exclude each other',
        'e.g. --forget-classes 3, or --forget-indices forget.txt (training-sample indices)',
        'MDL7005',
      );
    const backend = f<string>('backend') ?? 'webgpu';
    if (backend !== 'webgpu' && backend !== 'reference')
      throw new UsageError(`unknown backend "${backend}"`, 'backends: webgpu, reference');
    const lossFlag = f<string>('loss') as UnlearnLoss | undefined;
    if (lossFlag !== undefined && !UNLEARN_LOSSES.includes(lossFlag))
      throw new UsageError(`unknown loss "${lossFlag}"`, `losses: ${UNLEARN_LOSSES.join(', ')}`);
    const form = (f<string>('form') ?? 'auto') as SolveForm | 'auto';
    if (form !== 'auto' && !SOLVE_FORMS.includes(form))
      throw new UsageError(`unknown form "${form}"`, `forms: auto, ${SOLVE_FORMS.join(', ')}`);
    const mode = (f<string>('jacobian') ?? 'auto') as JacobianMode | 'auto';
    if (!JACOBIAN_MODES.includes(mode))
      throw new UsageError(`unknown Jacobian mode "${mode}"`, `modes: ${JACOBIAN_MODES.join(', ')}`);
    if (f<number>('lambda') !== undefined && !(f<number>('lambda')! >= 0))
      throw new UsageError(`--lambda must be ≥ 0, got ${f<number>('lambda')}`);
    for (const k of ['baselines', 'epochs', 'finetune-epochs', 'finetune-lr', 'eval-limit', 'json'])
      if (f(k) !== undefined && !f<boolean>('evaluate'))
        throw new UsageError(`--${k} belongs to the evaluation`, 'add --evaluate', 'MDL7005');
    for (const k of ['epochs', 'finetune-epochs', 'finetune-lr'])
      if (f(k) !== undefined && !f<boolean>('baselines'))
        throw new UsageError(`--${k} sets a baseline`, 'add --baselines', 'MDL7005');
    if (f<number>('finetune-lr') !== undefined && !(f<number>('finetune-lr')! > 0))
      throw new UsageError(`--finetune-lr must be positive, got ${f<number>('finetune-lr')}`);
    const out = f<string>('out') ?? join(dirname(ckptFile), 'unlearned.safetensors');
    if (resolve(out) === resolve(ckptFile))
      throw new UsageError(
        `--out ${out} is the checkpoint being unlearned`,
        'the unlearned model is a new checkpoint; choose another --out',
        'MDL7005',
      );

    const file = args.positional[0]!;
    const given = modelArgs(args);
    const model = f<string>('model');
    const r = compileUnlearning(readSource(file), nodeHost, {
      ...(f<string>('unlearn') ? { unlearn: f<string>('unlearn')! } : {}),
      ...(model ? { model } : {}),
      ...(f<string>('train') ? { train: f<string>('train')! } : {}),
      ...(given ? { args: given } : {}),
    });
    if (!report(r) || !r.graph) return 1;
    const g = r.graph;
    // The settings: the flags over the unlearn section's, over the defaults.
    const section: UnlearnSpec | undefined = r.spec;
    const trainSpec = r.training.graph?.name === g.name ? r.training.spec : undefined;
    const classesText =
      f<string>('forget-classes') ?? (indicesFile === undefined ? section?.forgetClasses?.join(',') : undefined);
    if (classesText === undefined && indicesFile === undefined)
      throw new UsageError(
        'mdl unlearn needs a forget set: --forget-classes or --forget-indices (or `forget_classes` in an unlearn section)',
        'e.g. --forget-classes 3, or --forget-indices forget.txt (training-sample indices)',
        'MDL7005',
      );
    const loss: UnlearnLoss = lossFlag ?? section?.loss ?? 'cross_entropy';
    const lambda = f<number>('lambda') ?? section?.lambda ?? DEFAULT_LAMBDA;
    const scale = f<number>('scale') ?? section?.scale ?? 1;
    const layers =
      f<string>('layers') !== undefined
        ? selectorOfText(f<string>('layers')!, new Set(OP_NAMES))
        : (section?.layers ?? defaultSubset(g));
    const subset = parameterSubset(g, layers);
    if (subset.length === 0)
      throw new CliError(
        'MDL8601',
        `${formatSelector(layers)} selects no layer of ${g.name} with trainable parameters`,
      );

    // The data the model was trained on, and its fit to the model, as `mdl train` checks them.
    const { loadData } = await import('../../../runtime/data/resolve.js');
    const { DataError } = await import('../../../runtime/data/dataset.js');
    const { channelStats, batches } = await import('../../../runtime/data/batches.js');
    const { limited } = await import('../../../runtime/train/trainer.js');
    let data;
    try {
      data = loadData(f<string>('data') ?? section?.data ?? trainSpec?.data ?? 'mnist');
    } catch (e) {
      if (e instanceof DataError) throw new CliError('MDL5008', e.message, e.hint);
      throw e;
    }
    if (g.inputs.length !== 1)
      throw new CliError('MDL7006', `${g.name} has ${g.inputs.length} inputs; mdl unlearn feeds one image input`);
    const inShape = g.values[g.inputs[0]!]!.type.shape;
    if (inShape.length !== 4 || inShape.slice(1).some((d, i) => d !== data.train.shape[i]))
      throw new CliError(
        'MDL7007',
        `${g.name} takes input ${formatShape(inShape)}, but ${data.source} has samples of shape ${formatShape(data.train.shape)}`,
        `declare the input as x: Tensor${formatShape([inShape[0]!, ...data.train.shape])}`,
      );
    const outShape = g.outputs.length === 1 ? g.values[g.outputs[0]!.value]!.type.shape : [];
    if (outShape.length !== 2 || outShape[1] !== data.train.classes)
      throw new CliError(
        'MDL7007',
        `${g.name} must return logits [B, ${data.train.classes}] for ${data.train.classes} classes, it returns ${formatShape(outShape)}`,
      );
    const classes = data.train.classes;
    const trainSet = limited(data, f<number>('limit') ?? section?.limit);

    // The trained weights: every parameter and buffer of the model, by name and shape.
    const { writeCheckpoint } = await import('../../../runtime/checkpoint/safetensors.js');
    const ckpt = await readModelCheckpoint(ckptFile, g);
    const params = new Map<string, Float64Array>();
    for (const [name, t] of ckpt.params) params.set(name, Float64Array.from(t));

    // The forget set, as indices into the training set (after --limit).
    const forgetAll = new Set<number>();
    if (classesText !== undefined) {
      const parts = classesText.split(',').map((s) => s.trim());
      const cls = new Set<number>();
      for (const s of parts) {
        if (!/^\d+$/.test(s) || Number(s) >= classes)
          throw new CliError('MDL8602', `--forget-classes: "${s}" is not a class index 0…${classes - 1}`);
        cls.add(Number(s));
      }
      for (let i = 0; i < trainSet.count; i++) if (cls.has(trainSet.labels[i]!)) forgetAll.add(i);
    } else {
      const text = readFile(indicesFile!).toString('utf8');
      const tokens = text.split(/[\s,]+/).filter((s) => s.length > 0);
      for (const s of tokens) {
        if (!/^\d+$/.test(s) || Number(s) >= trainSet.count)
          throw new CliError(
            'MDL8602',
            `${indicesFile}: "${s}" is not an index of the ${trainSet.count} training samples (0…${trainSet.count - 1})`,
          );
        forgetAll.add(Number(s));
      }
    }
    // The retain set: the rest, or its first N in a fixed shuffle (the update's cost grows with it).
    const restIdx = Array.from({ length: trainSet.count }, (_, i) => i).filter((i) => !forgetAll.has(i));
    let retainIdx = restIdx;
    const retainN = f<number>('retain') ?? section?.retain;
    if (retainN !== undefined && retainN < retainIdx.length) {
      const { epochOrder } = await import('../../../runtime/data/batches.js');
      const order = epochOrder(retainIdx.length, 0x7e7a, 0);
      retainIdx = Array.from(order.subarray(0, retainN), (k) => retainIdx[k]!).sort((a, b) => a - b);
    }
    if (retainIdx.length === 0)
      throw new CliError('MDL8602', `the forget set holds every one of the ${trainSet.count} training samples`);
    const used = [...forgetAll, ...retainIdx].sort((a, b) => a - b);
    const per = trainSet.shape.reduce((a, d) => a * d, 1);
    const normText = ckpt.metadata['normalisation'];
    const norm = normText ? (JSON.parse(normText) as { mean: number[]; std: number[] }) : channelStats(trainSet);
    const all = new Float32Array(trainSet.count * per);
    let at = 0;
    for (const b of batches(trainSet, 1000, { shuffle: false, norm })) {
      all.set(b.x.subarray(0, b.size * per), at * per);
      at += b.size;
    }
    const x = new Float32Array(used.length * per);
    const labels = new Int32Array(used.length);
    const forget = new Set<number>();
    used.forEach((i, k) => {
      x.set(all.subarray(i * per, (i + 1) * per), k * per);
      labels[k] = trainSet.labels[i]!;
      if (forgetAll.has(i)) forget.add(k);
    });

    const log = (s: string) => process.stderr.write(s + '\n');
    const { proxyBackend } = await import('../../drivers/proxies/backend.js');
    const { fastNtk } = await import('../../drivers/unlearn/fast-ntk.js');
    const { NotPositiveDefinite } = await import('../../unlearn/cholesky.js');
    const { ModeUnavailable } = await import('../../drivers/unlearn/jacobian.js');
    let dev;
    try {
      dev = await proxyBackend(backend);
    } catch (e) {
      const { NoAdapterError } = await import('../../../runtime/device.js');
      if (e instanceof NoAdapterError)
        throw new CliError('MDL7008', e.message, 'or compute the Jacobians on the CPU with --backend reference');
      throw e;
    }
    try {
      log(
        `unlearning ${forget.size} of ${trainSet.count} training samples of ${data.source} from ${g.name} (${ckptFile}); layers ${formatSelector(layers)}`,
      );
      let res;
      try {
        res = await fastNtk({
          graph: g,
          backend: dev,
          params,
          subset,
          x,
          labels,
          sampleShape: trainSet.shape,
          classes,
          forget,
          lambda,
          scale,
          loss,
          form,
          mode,
          batch: f<number>('batch') ?? 256,
          log,
        });
      } catch (e) {
        if (e instanceof NotPositiveDefinite) throw new CliError('MDL8603', `λ = ${lambda}: ${e.message}`);
        if (e instanceof ModeUnavailable)
          throw new UsageError(`--jacobian ${mode}: ${e.message}`, 'give --jacobian auto, forward or reverse');
        throw e;
      }
      log(
        `updated ${res.subsetSize} parameters (‖Δθ‖ = ${res.change.toPrecision(4)}) in ${res.seconds.total.toFixed(2)} s (Jacobians ${res.seconds.jacobian.toFixed(2)} s, solve ${res.seconds.solve.toFixed(2)} s)`,
      );
      // The new checkpoint: the model's parameters and buffers (the updated subset rounded to
      // float32), the trained checkpoint's metadata and what this update did.
      const tensors = new Map<string, { shape: readonly number[]; data: Float32Array | Int32Array }>();
      for (const p of g.params)
        tensors.set(p.name, { shape: p.shape, data: Float32Array.from(res.params.get(p.name)!) });
      const metadata: Record<string, string> = {
        ...Object.fromEntries(
          Object.entries(ckpt.metadata).filter(([k]) =>
            ['model', 'normalisation', 'data', 'seed', 'batch'].includes(k),
          ),
        ),
        model: g.name,
        source: file,
        source_hash: sourceHash(r.sources),
        normalisation: JSON.stringify(norm),
        unlearned_from: ckptFile,
        method: 'fast-ntk',
        forget: classesText !== undefined ? `classes ${classesText}` : `indices ${indicesFile}`,
        forget_samples: String(forget.size),
        retain_samples: String(used.length - forget.size),
        layers: formatSelector(layers),
        lambda: String(lambda),
        scale: String(scale),
        loss,
        form: res.form,
        jacobian: res.mode,
      };
      try {
        writeCheckpoint(out, { tensors, metadata });
      } catch (e) {
        if (isFsError(e)) throw cannotWrite(e.path ?? out, e);
        throw e;
      }
      log(`wrote ${out}`);
      if (f<boolean>('evaluate')) {
        const { evaluateModels, formatEvaluation } = await import('../../drivers/unlearn/evaluate.js');
        const batch = f<number>('batch') ?? 256;
        const models = [
          { name: 'original', params, norm, seconds: 0 },
          { name: 'Fast-NTK', params: res.params, norm, seconds: res.seconds.total },
        ];
        if (f<boolean>('baselines')) {
          // Retraining from scratch and fine-tuning, on the retain set alone, with the train
          // section's settings (mdl train's defaults without one); each epoch's test accuracy
          // on the first 1,000 test images only, to keep their timings about training.
          const { trainBaseline } = await import('../../drivers/unlearn/baselines.js');
          const { trainSettings } = await import('../../emit/settings.js');
          const { samplesOf } = await import('../../../runtime/data/dataset.js');
          const { terminalProgress } = await import('../../../runtime/train/progress.js');
          const base = trainSettings(trainSpec);
          const retainSet = samplesOf(trainSet, restIdx);
          const testHead = samplesOf(
            data.test,
            Array.from({ length: Math.min(1000, data.test.count) }, (_, i) => i),
          );
          const split = { train: retainSet, test: testHead, source: data.source };
          const common = {
            graph: g,
            source: { path: file, hash: sourceHash(r.sources) },
            data: split,
            optimizer: base.optimizer,
            schedule: base.schedule,
            batch: base.batch,
            seed: Number(ckpt.metadata['seed'] ?? base.seed),
            backend: backend as 'webgpu' | 'reference',
            progress: terminalProgress(),
          };
          const stem = out.replace(/\.safetensors$/, '');
          const { ResumeError } = await import('../../../runtime/train/trainer.js');
          let re, ft;
          try {
            log(`retraining from scratch on the ${retainSet.count} retained samples`);
            re = await trainBaseline({
              ...common,
              lr: base.lr,
              epochs: f<number>('epochs') ?? base.epochs,
              outDir: `${stem}.retrain`,
            });
            log(`fine-tuning the trained model on the ${retainSet.count} retained samples`);
            ft = await trainBaseline({
              ...common,
              lr: f<number>('finetune-lr') ?? base.lr / 10,
              epochs: f<number>('finetune-epochs') ?? 1,
              schedule: { kind: 'constant', warmup: 0 },
              outDir: `${stem}.finetune`,
              init: { params, norm },
            });
          } catch (e) {
            if (e instanceof ResumeError) throw new CliError('MDL7010', `a baseline cannot train: ${e.message}`);
            throw e;
          }
          models.push(
            { name: 'retrain', params: re.params, norm: re.norm, seconds: re.seconds },
            { name: 'fine-tune', params: ft.params, norm: ft.norm, seconds: ft.seconds },
          );
        }
        const rows = await evaluateModels({
          graph: g,
          backend: dev,
          classes,
          batch,
          trainSet,
          test: data.test,
          forget: forgetAll,
          retain: restIdx,
          models,
          ...(f<number>('eval-limit') !== undefined ? { cap: f<number>('eval-limit')! } : {}),
        });
        process.stdout.write(formatEvaluation(rows) + '\n');
        const jsonFile = f<string>('json');
        if (jsonFile !== undefined) {
          const { writeFile } = await import('../files.js');
          writeFile(
            jsonFile,
            JSON.stringify(
              {
                model: g.name,
                checkpoint: ckptFile,
                data: data.source,
                forget: forget.size,
                retain: used.length - forget.size,
                parameters: res.subsetSize,
                form: res.form,
                jacobian: res.mode,
                lambda,
                scale,
                rows,
              },
              null,
              1,
            ) + '\n',
          );
        }
      }
      return 0;
    } finally {
      dev.dispose();
    }
  },
};
