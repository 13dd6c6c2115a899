// `mdl rashomon FILE --checkpoint CKPT`: explore a trained classifier's Rashomon set with
// inference-time dropout (Hsu, Li, Hu, Chen, ICLR 2024) on the test split of a data set, or
// (--retrain K) with the re-training baseline, and report the predictive multiplicity metrics
// against the Rashomon parameter ε: a table, JSON lines and SVG curves.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatShape } from '../../ir/shape.js';
import { nodeHost } from '../../modules/node-host.js';
import { NOISE_DEFAULTS, DEFAULT_EPSILON_MAX, DEFAULT_EPSILON_STEPS, DEFAULT_MODELS } from '../../rashomon/spec.js';
import { linspace, rateProblem, type ExploreSpec } from '../../rashomon/spec.js';
import { DEFAULT_LAYERS, formatSelector, selectorOfText } from '../../rashomon/select.js';
import { curvesSvg, epsilonRow, metricsTable } from '../../rashomon/report.js';
import { OP_NAMES } from '../../ops/registry.js';
import type { NoiseKind } from '../../ops/internal/inference_dropout.js';
import { sourceHash, trainSettings } from '../../emit/settings.js';
import { compileExploration } from '../../drivers/rashomon/compile.js';
import { explore, noisedGraph, type ExplorationResult, type Method } from '../../drivers/rashomon/run.js';
import { UsageError } from '../args.js';
import { readSource, report, type Command } from '../command.js';
import { modelArgs } from '../model-args.js';
import { CliError } from '../errors.js';
import { readModelCheckpoint } from '../model-checkpoint.js';
import { cannotWrite, isFsError } from '../files.js';
import { SPECS } from './specs.js';

const NOISES: readonly NoiseKind[] = ['bernoulli', 'gaussian'];

/** Rows per run: as many as keep the largest activation of a run within 64 MiB (at most 4096). */
function defaultRows(perRowBytes: number): number {
  return Math.max(1, Math.min(4096, Math.floor((64 << 20) / Math.max(1, perRowBytes))));
}

export const rashomon: Command = {
  spec: SPECS.rashomon,
  async run(args) {
    const f = <T>(k: string) => args.flags.get(k) as T | undefined;
    const ckptFile = f<string>('checkpoint');
    if (ckptFile === undefined)
      throw new UsageError(
        'mdl rashomon explores a trained model: give its weights with --checkpoint',
        'train one first: mdl train FILE (it writes runs/MODEL/checkpoint.safetensors)',
        'MDL7005',
      );
    const backend = f<string>('backend') ?? 'webgpu';
    if (backend !== 'webgpu' && backend !== 'reference')
      throw new UsageError(`unknown backend "${backend}"`, 'backends: webgpu, reference');
    const noiseFlag = f<string>('noise');
    if (noiseFlag !== undefined && !NOISES.includes(noiseFlag as NoiseKind))
      throw new UsageError(`unknown noise "${noiseFlag}"`, `noises: ${NOISES.join(', ')}`);
    const retrain = f<number>('retrain');
    for (const k of [
      'models',
      'rates',
      'epsilon-steps',
      'limit',
      'capacity-samples',
      'rows',
      'epochs',
      'retrain',
      'train-limit',
    ])
      if (f<number>(k) !== undefined && !(f<number>(k)! >= 1)) throw new UsageError(`--${k} must be at least 1`);
    if (f<number>('seed') !== undefined && !(f<number>('seed')! >= 0 && f<number>('seed')! < 2 ** 32))
      throw new UsageError('--seed must be an integer in [0, 2^32)');
    if (retrain === undefined)
      for (const k of ['train', 'epochs', 'train-limit'])
        if (f(k) !== undefined)
          throw new UsageError(`--${k} sets the re-training baseline`, 'add --retrain K', 'MDL7005');

    const file = args.positional[0]!;
    const given = modelArgs(args);
    const model = f<string>('model');
    const r = compileExploration(readSource(file), nodeHost, {
      ...(f<string>('explore') ? { explore: f<string>('explore')! } : {}),
      ...(model ? { model } : {}),
      ...(f<string>('train') ? { train: f<string>('train')! } : {}),
      ...(given ? { args: given } : {}),
    });
    if (!report(r) || !r.graph) return 1;
    const g = r.graph;
    const section: ExploreSpec | undefined = r.spec;

    // The settings: the explore section's (or the code's protocol), the flags over them.
    const kind: NoiseKind = (noiseFlag as NoiseKind | undefined) ?? section?.noise.kind ?? 'bernoulli';
    const sameKind = section !== undefined && section.noise.kind === kind;
    const maxRate = f<number>('max-rate');
    const rateCount = f<number>('rates');
    const rates =
      maxRate === undefined && rateCount === undefined && sameKind
        ? section.noise.rates
        : linspace(
            0,
            maxRate ?? (sameKind ? section.noise.rates[section.noise.rates.length - 1]! : NOISE_DEFAULTS[kind].maxRate),
            rateCount ?? (sameKind ? section.noise.rates.length : NOISE_DEFAULTS[kind].rates),
          );
    for (const x of rates) {
      const why = rateProblem(kind, x);
      if (why) throw new UsageError(`--max-rate: ${why}`);
    }
    const epsMax = f<number>('epsilon-max');
    if (epsMax !== undefined && !(epsMax >= 0)) throw new UsageError('--epsilon-max must be ≥ 0');
    const epsilons =
      epsMax === undefined && f<number>('epsilon-steps') === undefined && section
        ? section.epsilons
        : linspace(
            0,
            epsMax ?? section?.epsilons[section.epsilons.length - 1] ?? DEFAULT_EPSILON_MAX,
            f<number>('epsilon-steps') ?? section?.epsilons.length ?? DEFAULT_EPSILON_STEPS,
          );
    const models = f<number>('models') ?? section?.models ?? DEFAULT_MODELS;
    const seed = f<number>('seed') ?? section?.seed ?? 0;
    const layersText = f<string>('layers');
    const layers =
      layersText !== undefined ? selectorOfText(layersText, new Set(OP_NAMES)) : (section?.layers ?? DEFAULT_LAYERS);

    // The data and the model's fit to it, as `mdl train` checks them.
    const { loadData } = await import('../../../runtime/data/resolve.js');
    const { DataError } = await import('../../../runtime/data/dataset.js');
    const { channelStats, batches } = await import('../../../runtime/data/batches.js');
    const trainSpec = r.training.graph?.name === g.name ? r.training.spec : undefined;
    const dataName = f<string>('data') ?? section?.data ?? trainSpec?.data ?? 'mnist';
    let data;
    try {
      data = loadData(dataName);
    } catch (e) {
      if (e instanceof DataError) throw new CliError('MDL5008', e.message, e.hint);
      throw e;
    }
    if (g.inputs.length !== 1)
      throw new CliError('MDL7006', `${g.name} has ${g.inputs.length} inputs; mdl rashomon feeds one image input`);
    const inShape = g.values[g.inputs[0]!]!.type.shape;
    if (inShape.length !== 4 || inShape.slice(1).some((d, i) => d !== data.test.shape[i]))
      throw new CliError(
        'MDL7007',
        `${g.name} takes input ${formatShape(inShape)}, but ${data.source} has samples of shape ${formatShape(data.test.shape)}`,
        `declare the input as x: Tensor${formatShape([inShape[0]!, ...data.test.shape])}`,
      );
    const outShape = g.outputs.length === 1 ? g.values[g.outputs[0]!.value]!.type.shape : [];
    if (outShape.length !== 2 || outShape[1] !== data.test.classes)
      throw new CliError(
        'MDL7007',
        `${g.name} must return logits [B, ${data.test.classes}] for ${data.test.classes} classes, it returns ${formatShape(outShape)}`,
      );

    // The trained weights: every parameter and buffer of the model, by name and shape.
    const ckpt = await readModelCheckpoint(ckptFile, g);
    const params = new Map(ckpt.params);
    // Inputs normalised as the model was trained: the checkpoint's statistics, else the training split's.
    const normText = ckpt.metadata['normalisation'];
    const norm = normText ? (JSON.parse(normText) as { mean: number[]; std: number[] }) : channelStats(data.train);
    const limit = Math.min(f<number>('limit') ?? data.test.count, data.test.count);
    const per = data.test.shape.reduce((a, d) => a * d, 1);
    const x = new Float32Array(limit * per);
    let at = 0;
    for (const b of batches(data.test, 1000, { shuffle: false, norm })) {
      const take = Math.min(b.size, limit - at);
      if (take <= 0) break;
      x.set(b.x.subarray(0, take * per), at * per);
      at += take;
    }
    const explored = {
      x,
      labels: data.test.labels.slice(0, limit),
      count: limit,
      sampleShape: data.test.shape,
      classes: data.test.classes,
    };

    const { noised, diagnostics } = noisedGraph(g, kind, layers);
    if (!noised) {
      report({ diagnostics, sources: r.sources });
      return 1;
    }
    // Every layer's noise counter (sample·⌈n/2⌉ + element/2) must fit in 32 bits.
    for (const n of noised.graph.nodes)
      if (n.op === 'inference_dropout') {
        const shape = noised.graph.values[n.outputs[0]!]!.type.shape.slice(1) as number[];
        const n2 = Math.ceil(shape.reduce((a, d) => a * d, 1) / 2);
        if (limit * n2 >= 2 ** 32)
          throw new CliError(
            'MDL8503',
            `${limit} samples × ${n2} noise blocks of layer \`${n.attrs['key'] as string}\` exceed the 2^32 counters of the noise`,
          );
      }
    // The largest activation of one row (parameters are not per row).
    const perRow = Math.max(
      ...g.values
        .filter((v) => v.def.kind !== 'param')
        .map((v) => v.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 4)),
    );
    const rows = f<number>('rows') ?? defaultRows(perRow);

    const method = retrain === undefined ? `${kind}` : 'retrain';
    const out = f<string>('out') ?? join('runs', 'rashomon', `${g.name}-${method}`);
    const log = (s: string) => process.stderr.write(s + '\n');
    let methodSpec: Method;
    if (retrain === undefined) methodSpec = { kind: 'dropout', noise: kind, rates, models, layers };
    else {
      const { retrainedModels } = await import('../../drivers/rashomon/retrain.js');
      const { terminalProgress } = await import('../../../runtime/train/progress.js');
      const base = trainSettings(trainSpec);
      const baseSeed = Number(ckpt.metadata['seed'] ?? base.seed);
      methodSpec = {
        kind: 'retrain',
        models: retrainedModels({
          graph: g,
          source: { path: file, hash: sourceHash(r.sources) },
          data,
          loss: trainSpec?.loss ?? { kind: 'cross_entropy' },
          optimizer: base.optimizer,
          lr: base.lr,
          schedule: base.schedule,
          batch: base.batch,
          epochs: f<number>('epochs') ?? base.epochs,
          frozen: r.training.graph?.name === g.name ? r.training.frozen : [],
          rewrites: r.training.graph?.name === g.name ? r.training.rewrites : new Map(),
          // Seeds other than the base model's.
          seeds: Array.from({ length: retrain }, (_, k) => baseSeed + 1 + k),
          backend,
          ...(f<number>('train-limit') !== undefined ? { limit: f<number>('train-limit')! } : {}),
          outDir: out,
          progress: terminalProgress(),
        }),
      };
    }
    log(
      `exploring ${g.name} (${ckptFile}) on ${limit} test samples of ${data.source}: ${
        retrain === undefined
          ? `${kind} dropout on ${noised.layers.length} layers (${formatSelector(layers)}), ${rates.length} rates up to ${rates[rates.length - 1]}, ${models} models per rate`
          : `${retrain} models retrained from seeds other than the base model's`
      }; ε up to ${epsilons[epsilons.length - 1]} in ${epsilons.length} steps`,
    );
    const tty = process.stderr.isTTY === true;
    let lastShown = 0;
    let res: ExplorationResult;
    try {
      mkdirSync(out, { recursive: true });
      res = await explore(
        {
          graph: g,
          params,
          data: explored,
          method: methodSpec,
          epsilons,
          seed,
          rows,
          backend,
          ...(f<number>('capacity-samples') !== undefined ? { capacitySamples: f<number>('capacity-samples')! } : {}),
          log,
          progress: (done, total, s) => {
            if (retrain !== undefined) return;
            const now = performance.now();
            if (done < total && now - lastShown < (tty ? 250 : 15_000)) return;
            lastShown = now;
            const eta = (s / done) * (total - done);
            const text = `models ${done}/${total}  ${(s / done).toFixed(3)} s per model  ETA ${Math.round(eta)} s`;
            if (tty) process.stderr.write(`\r\x1b[2K${text}${done === total ? '\n' : ''}`);
            else log(text);
          },
        },
        noised,
      );
    } catch (e) {
      const { NoAdapterError } = await import('../../../runtime/device.js');
      const { ResumeError } = await import('../../../runtime/train/trainer.js');
      if (e instanceof NoAdapterError)
        throw new CliError('MDL7008', e.message, 'or explore on the CPU with --backend reference');
      if (e instanceof ResumeError) throw new CliError('MDL7010', e.message);
      if (isFsError(e)) throw cannotWrite(e.path ?? out, e);
      throw e;
    }

    // Results: JSON lines, curves, the table.
    const lines: Record<string, unknown>[] = [
      {
        kind: 'run',
        method,
        model: g.name,
        file,
        checkpoint: ckptFile,
        data: data.source,
        samples: limit,
        layers: res.layers,
        ...(retrain === undefined ? { noise: kind, rates, models_per_rate: models } : { retrained: retrain }),
        seed,
        epsilons,
        base_loss: res.base.loss,
        base_accuracy: res.base.accuracy,
        models: res.models.length,
        explore_seconds: res.timing.exploreSeconds,
        seconds_per_model: res.timing.perModelSeconds,
        ...(res.timing.trainSecondsPerModel !== undefined
          ? { train_seconds_per_model: res.timing.trainSecondsPerModel }
          : {}),
        metrics_seconds: res.timing.metricsSeconds,
        runs: res.timing.runs,
        rows_per_run: rows,
        backend: res.description,
      },
    ];
    if (retrain === undefined)
      rates.forEach((rate, k) => {
        const own = res.models.slice(k * models, (k + 1) * models);
        const losses = own.map((m) => m.loss);
        const mean = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
        const sd = Math.sqrt(losses.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, losses.length));
        lines.push({
          kind: 'rate',
          rate,
          models: own.length,
          mean_loss: mean,
          std_loss: sd,
          mean_accuracy: own.reduce((a, m) => a + m.accuracy, 0) / Math.max(1, own.length),
          in_set: epsilons.map((e) => own.filter((m) => m.loss < res.base.loss + e).length),
        });
      });
    else for (const m of res.models) lines.push({ kind: 'model', ...m });
    for (const m of res.metrics) lines.push(epsilonRow(method, m));
    try {
      writeFileSync(join(out, 'rashomon.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      writeFileSync(
        join(out, 'curves.svg'),
        curvesSvg(
          [{ name: retrain === undefined ? `${kind} dropout` : `re-training (${retrain})`, rows: res.metrics }],
          `${g.name} on ${data.source}`,
        ),
      );
    } catch (e) {
      if (isFsError(e)) throw cannotWrite(e.path ?? out, e);
      throw e;
    }
    const print = (s: string) => process.stdout.write(s + '\n');
    print(
      `base model: test loss ${res.base.loss.toFixed(4)}, accuracy ${(100 * res.base.accuracy).toFixed(2)}% on ${limit} samples`,
    );
    for (const l of metricsTable(res.metrics)) print(l);
    print(
      retrain === undefined
        ? `${res.models.length} models in ${res.timing.exploreSeconds.toFixed(1)} s (${res.timing.perModelSeconds.toFixed(4)} s per model, ${res.timing.runs} runs of ${rows} rows, ${res.description}); metrics ${res.timing.metricsSeconds.toFixed(1)} s`
        : `${res.models.length} retrained models in ${res.timing.exploreSeconds.toFixed(1)} s (${res.timing.perModelSeconds.toFixed(1)} s per model, training ${res.timing.trainSecondsPerModel!.toFixed(1)} s of it); metrics ${res.timing.metricsSeconds.toFixed(1)} s`,
    );
    print(`results: ${join(out, 'rashomon.jsonl')}, ${join(out, 'curves.svg')}`);
    return 0;
  },
};
