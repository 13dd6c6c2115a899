// The continual training loop (Online-LoRA, Wei et al., WACV 2025, and plain online training):
// one pass over a stream, each sample once, in mini-batches. Per step, on the device: forward,
// cross-entropy over the batch and the hard buffer, backward (adapters only where LoRA freezes
// the base weights), the importance penalty's gradient λ·Ω⊙(θ − θ*) added inside the optimizer update
// (θ* the fresh adapters' values).
// The step also reads back its own logits (from the forward pass, before the update), so the
// host scores every sample for the hard buffer and feeds the loss window without a second
// forward pass. At a plateau, on the device: importance from the hard buffer (squared gradients
// of the NLL of the model's own prediction, one sample at a time, by a gradient plan of the
// adapters, summed over the buffer as the official code does), the running average over
// plateaus and the clean merge (device-graphs.ts; tensors move between the plans by GPU copies);
// then fresh adapters written from the host (consolidate.ts), and a checkpoint. Evaluations every `eval_every` samples
// and at the end of each task give A_auc, A_last and F_last (metrics.ts).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindDims } from '../../analysis/summary.js';
import { buildGradient } from '../../autodiff/grad.js';
import { anchorBuffer, importanceBuffer, type OptimizerSpec } from '../../autodiff/optimizer.js';
import { planModel } from '../../emit/plan-model.js';
import type { Graph } from '../../ir/types.js';
import { planGraph } from '../../kernels/plan.js';
import { targetOf } from '../../kernels/target.js';
import { applyRewrites, rewrittenTrainStep, type RewritePlan } from '../../rewrites/index.js';
import { CLASS_MASK, maskLogits, maskValues } from './mask.js';
import { acquireDevice } from '../../../runtime/device.js';
import { Executor } from '../../../runtime/executor.js';
import { CompiledModel } from '../../../runtime/model.js';
import { writeCheckpoint, type NamedTensor } from '../../../runtime/checkpoint/safetensors.js';
import { channelStats, epochOrder, type Normalisation } from '../../../runtime/data/batches.js';
import { gather, type Split } from '../../../runtime/data/dataset.js';
import { buildStream, type Stream } from '../../../runtime/data/stream.js';
import { freshAdapters, mergedWeights, type SeparateState } from './consolidate.js';
import { PlateauDetector } from './detector.js';
import { gradSquares, importanceGraph, INV_N, mergeGraph } from './device-graphs.js';
import { predictions, sampleLosses, selectHard, type HardEntry } from './hard-buffer.js';
import { streamMetrics, type Evaluation, type StreamMetrics } from './metrics.js';
import { accuracySvg } from './plot.js';
import type { ContinualMethod, ContinualSpec } from '../../train/continual.js';

export const CONTINUAL_FORMAT = 'mdl-continual-1';

const zerosOf = (shape: readonly number[]) => new Float32Array(shape.reduce((a, d) => a * d, 1));

/** What fixes the compiled plans: the model, its rules, the method and the batch size. */
export interface ContinualSetup {
  readonly graph: Graph;
  readonly plan: RewritePlan;
  readonly frozen: readonly string[];
  readonly optimizer: OptimizerSpec;
  readonly method: ContinualMethod;
  readonly batch: number;
  /** The seed of the parameters' initialisation (each run draws its own adapters). */
  readonly seed: number;
}

/** One run on a stream; a learner runs any number of them, each from the same start. */
export interface ContinualRun {
  readonly lr: number;
  readonly seed: number;
  readonly spec: ContinualSpec;
  readonly data: Split;
  readonly outDir: string;
  readonly source: { readonly path: string; readonly hash: string };
  /** Trained weights to start from (by name); adapters keep their initialisation. */
  readonly init?: ReadonlyMap<string, NamedTensor>;
  /**
   * The offline joint-training upper bound: the stream's samples shuffled together (no task
   * order) and seen `passes` times. Default: the stream, once.
   */
  readonly joint?: { readonly passes: number };
  readonly logEvery?: number;
  readonly signal?: AbortSignal;
  readonly progress?: { line(text: string): void };
}

export type ContinualRequest = ContinualSetup & ContinualRun;

export interface ContinualResult {
  readonly metrics: StreamMetrics;
  readonly evals: readonly Evaluation[];
  readonly plateaus: readonly { readonly step: number; readonly samples: number }[];
  readonly steps: number;
  readonly seconds: number;
  /** Parameters the optimizer updates (adapters, and whatever is not frozen). */
  readonly trainable: number;
  readonly interrupted: boolean;
  readonly stream: Stream;
}

/** A continual run that cannot be set up as asked (a user error). */
export class ContinualError extends Error {}

function normalise(x: Float32Array, norm: Normalisation, hw: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / hw) % norm.mean.length;
    out[i] = (x[i]! - norm.mean[c]!) / norm.std[c]!;
  }
  return out;
}

/** A compiled continual learner: its plans on the device, ready for runs (compiling is the slow part). */
export interface ContinualLearner {
  run(r: ContinualRun): Promise<ContinualResult>;
  dispose(): void;
}

/** One run with a learner of its own. */
export async function runContinual(req: ContinualRequest): Promise<ContinualResult> {
  const s = await openContinual(req);
  try {
    return await s.run(req);
  } finally {
    s.dispose();
  }
}

export async function openContinual(req: ContinualSetup): Promise<ContinualLearner> {
  const m = req.method;
  const lora = m.kind === 'online_lora';
  const hardSize = lora ? m.hardBuffer : 0;
  const penaltyOn = lora && m.lambda > 0;
  // Training sees the logits masked to the classes seen so far; inference does not.
  const trainGraph = m.mask !== 'none' ? maskLogits(req.graph) : req.graph;
  // The adapters are known once the rewrites ran; the penalty names them.
  const probe = rewrittenTrainStep(trainGraph, req.plan, {
    loss: { kind: 'cross_entropy' },
    optimizer: req.optimizer,
    frozen: req.frozen,
  });
  const adapters = probe.rewritten.adapters;
  if (lora && adapters.length === 0)
    throw new ContinualError(
      'online_lora trains LoRA adapters, and this section adapts no layer; add a `backward [...] = lora(rank=4)` rule',
    );
  const adapterParams = adapters.flatMap((a) => [a.a, a.b]);
  const { step, rewritten } = penaltyOn
    ? rewrittenTrainStep(trainGraph, req.plan, {
        loss: { kind: 'cross_entropy' },
        optimizer: req.optimizer,
        frozen: req.frozen,
        penalty: { lambda: m.lambda, params: adapterParams },
      })
    : probe;
  const fwdRw = m.mask !== 'none' ? applyRewrites(req.graph, req.plan) : rewritten;
  const fwd = fwdRw.graph;
  const outName = fwd.outputs[0]!.name;
  const trainBatch = req.batch + hardSize;
  const trainable = [...step.grads.keys()].reduce(
    (a, k) => a + fwd.params.find((p) => p.name === k)!.shape.reduce((x, d) => x * d, 1),
    0,
  );

  const acq = await acquireDevice();
  const target = targetOf(acq.report);
  let model: CompiledModel | undefined;
  let imp: Executor | undefined;
  let merger: Executor | undefined;
  try {
    model = await CompiledModel.create(planModel(step, fwd, trainBatch, target), {
      seed: req.seed,
      device: acq,
      ownsDevice: false,
    });
    // The importance plan: gradients of the cross-entropy for the adapters only, one sample,
    // over the logits training sees (masked like the training loss, when it is).
    const shapes = new Map(fwd.params.map((p) => [p.name, { shape: p.shape, init: p.init }]));
    // Its buffers `<p>@G` sum the squared gradients over the hard buffer; the merge plan then
    // merges the adapters (clean form) and averages Ω (device-graphs.ts). Tensors move between
    // these plans and the training plan by GPU copies.
    let impWeights: string[] = [];
    let impCopies: [string, string][] = [];
    let mergeCopies: [string, string][] = [];
    if (lora) {
      const gg = buildGradient(rewritten.graph, {
        loss: { kind: 'cross_entropy' },
        frozen: rewritten.graph.params.map((p) => p.name).filter((n) => !adapterParams.includes(n)),
        rules: rewritten.rules,
      });
      const ig = importanceGraph(gg, adapterParams);
      const plan = planGraph(ig.graph, { target, dims: bindDims(ig.graph, 1), training: gg.training });
      imp = await Executor.create(acq.device, plan, { seed: req.seed, label: 'importance' });
      const own = new Set(model.layout().keys());
      impWeights = plan.params.map((p) => p.param.name).filter((n) => own.has(n));
      impCopies = [...ig.copies];
      const mg = mergeGraph(adapters, shapes, m.merge === 'clean');
      const mplan = planGraph(mg.graph, { target, dims: {}, training: false });
      merger = await Executor.create(acq.device, mplan, { seed: req.seed, label: 'consolidate' });
      mergeCopies = [...mg.copies];
    }
    // Every run starts from this state (then its --init weights and its own adapters).
    const initial = await model.state();
    const parts: Parts = {
      model,
      imp,
      merger,
      impWeights,
      impCopies,
      mergeCopies,
      adapters,
      adapterParams,
      shapes,
      stepState: step.state,
      outName,
      trainBatch,
      hardSize,
      trainable,
      penaltyOn,
      graph: req.graph,
      method: m,
      batch: req.batch,
    };
    const [mm, ii, mg] = [model, imp, merger];
    return {
      async run(r) {
        mm.setState(initial);
        // Ω starts at zero in every run (the merge plan keeps it between plateaus)
        if (mg) for (const n of adapterParams) mg.setParam(importanceBuffer(n), zerosOf(shapes.get(n)!.shape));
        if (r.init) mm.setState(r.init);
        const fresh = freshAdapters(adapters, shapes, r.seed, 0);
        const start = new Map([...fresh].map(([k, d]) => [k, { shape: shapes.get(k)!.shape, data: d }]));
        // the penalty pulls each adapter towards its fresh values (Ω is zero until a plateau)
        if (penaltyOn) for (const [k, t] of fresh) start.set(anchorBuffer(k), { shape: shapes.get(k)!.shape, data: t });
        mm.setState(start);
        return loop(r, parts);
      },
      dispose() {
        ii?.destroy();
        mg?.destroy();
        mm.dispose();
        acq.device.destroy();
      },
    };
  } catch (e) {
    imp?.destroy();
    merger?.destroy();
    model?.dispose();
    acq.device.destroy();
    throw e;
  }
}

interface Parts {
  readonly model: CompiledModel;
  readonly imp: Executor | undefined;
  /** The merge plan: W + s·B·A (clean form) and the running average of Ω. */
  readonly merger: Executor | undefined;
  /** The model's tensors the importance plan reads. */
  readonly impWeights: readonly string[];
  /** After each importance run: its outputs G + g⊙g into its buffers `<p>@G`. */
  readonly impCopies: readonly (readonly [string, string])[];
  /** After the merge run: its outputs into the tensors they replace. */
  readonly mergeCopies: readonly (readonly [string, string])[];
  readonly graph: Graph;
  readonly method: ContinualMethod;
  readonly batch: number;
  readonly adapters: ReturnType<typeof rewrittenTrainStep>['rewritten']['adapters'];
  readonly adapterParams: readonly string[];
  readonly shapes: ReadonlyMap<
    string,
    { readonly shape: readonly number[]; readonly init: import('../../ir/types.js').Init }
  >;
  readonly stepState: ReadonlyMap<string, readonly string[]>;
  readonly outName: string;
  readonly trainBatch: number;
  readonly hardSize: number;
  readonly trainable: number;
  readonly penaltyOn: boolean;
}

async function loop(req: ContinualRun, p: Parts): Promise<ContinualResult> {
  const { spec, data } = req;
  const { model, batch } = p;
  const m = p.method;
  const stream = buildStream(data.train, data.test, spec.stream, req.seed);
  const classes = data.train.classes;
  const [c, h, w] = data.train.shape;
  const per = c * h * w;
  const norm = channelStats(data.train);
  mkdirSync(req.outDir, { recursive: true });
  const metricsFile = join(req.outDir, 'metrics.jsonl');
  writeFileSync(metricsFile, '');
  const log = (o: Record<string, unknown>) => appendFileSync(metricsFile, JSON.stringify(o) + '\n');

  // Arrival order: the stream, or (joint training) its samples shuffled, `passes` times.
  const passes = req.joint?.passes ?? 1;
  const order: number[] = [];
  for (let e = 0; e < passes; e++) {
    if (!req.joint) order.push(...stream.order);
    else order.push(...[...epochOrder(stream.order.length, req.seed, e)].map((i) => stream.order[i]!));
  }
  const steps = Math.floor(order.length / batch);
  const seen = new Set<number>();
  const detector = new PlateauDetector({
    length: m.window,
    meanThreshold: m.meanThreshold,
    varThreshold: m.varThreshold,
  });
  let hard: HardEntry[] = [];
  const sep: SeparateState = { base: new Map(), aSum: new Map(), bSum: new Map() };
  const plateaus: { step: number; samples: number }[] = [];
  const evals: Evaluation[] = [];
  const evalEvery = req.joint ? Infinity : spec.evalEvery;
  let nextEval = evalEvery;
  const taskEnds = [...stream.taskStarts.slice(1), order.length];
  let interrupted = false;
  const started = Date.now();
  log({
    kind: 'start',
    model: p.graph.name,
    method: m.kind,
    stream: spec.stream,
    joint: req.joint ?? null,
    data: data.source,
    samples: order.length,
    steps,
    batch,
    train_batch: p.trainBatch,
    task_classes: stream.taskClasses,
    task_starts: stream.taskStarts,
    seed: req.seed,
    trainable_params: p.trainable,
  });

  const evaluate = async (samples: number, at: { periodic: boolean; taskEnd: boolean }) => {
    const cls = [...seen].sort((a, b) => a - b);
    const idx = cls.flatMap((k) => stream.testByClass[k]!);
    const right = new Map<number, number>();
    for (let s = 0; s < idx.length; s += p.trainBatch) {
      const part = idx.slice(s, s + p.trainBatch);
      const { x, y } = gather(data.test, part);
      const logits = Float32Array.from(await model.forward(normalise(x, norm, h * w), part.length));
      // ranked among the classes seen so far, as the official evaluation does (unless unmasked)
      if (m.mask !== 'none') {
        const mv = maskValues(classes, seen);
        for (let i = 0; i < part.length; i++) for (let k = 0; k < classes; k++) logits[i * classes + k]! += mv[k]!;
      }
      const pred = predictions(logits, part.length, classes);
      for (let i = 0; i < part.length; i++) if (pred[i] === y[i]) right.set(y[i]!, (right.get(y[i]!) ?? 0) + 1);
    }
    const perClass = new Map(cls.map((k) => [k, (right.get(k) ?? 0) / stream.testByClass[k]!.length]));
    const total = [...right.values()].reduce((a, x) => a + x, 0);
    const e: Evaluation = { samples, accuracy: total / Math.max(idx.length, 1), perClass, ...at };
    evals.push(e);
    log({
      kind: 'eval',
      samples,
      accuracy: e.accuracy,
      periodic: at.periodic,
      task_end: at.taskEnd,
      classes: cls,
      per_class: Object.fromEntries(perClass),
    });
    req.progress?.line(
      `after ${samples} samples: accuracy ${(100 * e.accuracy).toFixed(2)}% on ${cls.length} seen classes`,
    );
  };

  const consolidate = async (stepIndex: number, samples: number) => {
    const k = plateaus.length + 1;
    plateaus.push({ step: stepIndex, samples });
    const event: Record<string, unknown> = { kind: 'plateau', step: stepIndex, samples, plateau: k };
    if (m.kind === 'online_lora' && p.imp && p.merger) {
      const { imp, merger } = p;
      // 1. Importance: squared gradients of the NLL of the model's own prediction, per
      // hard-buffer sample, for the current adapters, summed on the device in the importance
      // plan's `<p>@G` (the model's weights copied into it by the GPU first).
      model.copyStateTo(
        imp,
        p.impWeights.map((n) => [n, n]),
      );
      for (const n of p.adapterParams) imp.setParam(gradSquares(n), zerosOf(p.shapes.get(n)!.shape));
      const mask = m.mask !== 'none' ? maskValues(classes, seen) : undefined;
      for (const e of hard) {
        // the own prediction among the classes seen so far (what training's mask allows)
        const lg = Float32Array.from(await model.forward(e.x, 1));
        if (mask) mask.forEach((v, c) => (lg[c]! += v));
        const own = predictions(lg, 1, classes)[0]!;
        await imp.run({
          inputs: { [model.info.input]: e.x, labels: Int32Array.of(own), ...(mask ? { [CLASS_MASK]: mask } : {}) },
          read: [],
        });
        imp.copyParamsTo(imp, p.impCopies);
      }
      // 2–3. On the device: Ω ← G/n + (1 − 1/n)·Ω and (clean form) W ← W + s·B·A. The hard
      // buffer's logits before and after say what the merge changed (nothing, up to rounding,
      // when clean). The separate form keeps ΣA and ΣB on the host (consolidate.ts).
      const probeX = new Float32Array(hard.length * per);
      hard.forEach((e, i) => probeX.set(e.x, i * per));
      const before = hard.length ? Float32Array.from(await model.forward(probeX, hard.length)) : undefined;
      const upd = new Map<string, NamedTensor>();
      const put = (n: string, d: Float32Array) => upd.set(n, { shape: p.shapes.get(n)!.shape, data: d });
      if (m.merge === 'separate') {
        const cur = await model.readTensors(p.adapters.flatMap((a) => [a.weight, a.a, a.b]));
        for (const [n, d] of mergedWeights(p.adapters, cur, m.merge, sep)) put(n, d);
      } else
        model.copyStateTo(
          merger,
          p.adapters.flatMap((a) => [a.weight, a.a, a.b]).map((n) => [n, n]),
        );
      imp.copyParamsTo(
        merger,
        p.adapterParams.map((n) => [gradSquares(n), gradSquares(n)]),
      );
      await merger.run({ inputs: { [INV_N]: Float32Array.of(1 / k) }, read: [] });
      // Ω stays in the merge plan for the next plateau, and goes to the penalty's buffers
      merger.copyParamsTo(
        merger,
        p.mergeCopies.filter(([o]) => o.startsWith('omega:')),
      );
      model.copyStateFrom(
        merger,
        p.mergeCopies.filter(([o]) => !o.startsWith('omega:') || p.penaltyOn),
      );
      // Fresh adapters (the penalty's anchor θ*), their optimizer state zeroed.
      const fresh = freshAdapters(p.adapters, p.shapes, req.seed, k);
      for (const [n, d] of fresh) {
        put(n, d);
        if (p.penaltyOn) upd.set(anchorBuffer(n), { shape: p.shapes.get(n)!.shape, data: d });
        const shape = p.shapes.get(n)!.shape;
        for (const st of p.stepState.get(n) ?? []) upd.set(st, { shape, data: zerosOf(shape) });
      }
      model.setState(upd);
      if (before) {
        const after = await model.forward(probeX, hard.length);
        event['max_logit_change'] = before.reduce((a, v, i) => Math.max(a, Math.abs(v - after[i]!)), 0);
      }
      const omega = await merger.readParams(p.adapterParams.map(importanceBuffer));
      event['importance_sum'] = [...omega.values()].reduce((a, d) => a + d.reduce((q, x) => q + x, 0), 0);
    }
    log(event);
    req.progress?.line(`plateau ${k} at step ${stepIndex} (${samples} samples): consolidated`);
    writeCheckpoint(join(req.outDir, `plateau-${k}.safetensors`), {
      tensors: await model.state(),
      metadata: {
        format: CONTINUAL_FORMAT,
        model: p.graph.name,
        source: req.source.path,
        source_hash: req.source.hash,
        seed: String(req.seed),
        step: String(stepIndex),
        samples: String(samples),
        plateau: String(k),
      },
    });
  };

  for (let s = 0; s < steps; s++) {
    const idx = order.slice(s * batch, (s + 1) * batch);
    const cur = gather(data.train, idx);
    const xs = normalise(cur.x, norm, h * w);
    for (const y of cur.y) seen.add(y);
    // The batch, then the hard buffer (filled up with the batch's own first samples while it is
    // not yet full, so that the plan's batch size stays fixed).
    const x = new Float32Array(p.trainBatch * per);
    const y = new Int32Array(p.trainBatch);
    x.set(xs);
    y.set(cur.y);
    for (let j = 0; j < p.hardSize; j++) {
      const e = hard[j];
      x.set(e ? e.x : xs.subarray(j * per, (j + 1) * per), (batch + j) * per);
      y[batch + j] = e ? e.y : cur.y[j]!;
    }
    const out = await model.trainStepReading(
      x,
      y,
      req.lr,
      s,
      ['loss', p.outName],
      m.mask === 'none' ? {} : { [CLASS_MASK]: maskValues(classes, m.mask === 'seen' ? seen : new Set(y)) },
    );
    const loss = out.get('loss')![0]!;
    if (!Number.isFinite(loss))
      throw new ContinualError(`the loss became ${loss} at step ${s + 1}; lower the learning rate (now ${req.lr})`);
    if (p.hardSize > 0) {
      const losses = sampleLosses(out.get(p.outName)!, y, classes);
      const cands: HardEntry[] = [];
      for (let i = 0; i < batch; i++)
        cands.push({ x: xs.slice(i * per, (i + 1) * per), y: cur.y[i]!, loss: losses[i]! });
      hard.forEach((e, j) => cands.push({ ...e, loss: losses[batch + j]! }));
      hard = selectHard(cands, p.hardSize);
    }
    const samples = (s + 1) * batch;
    if ((s + 1) % (req.logEvery ?? 10) === 0 || s === steps - 1)
      log({ kind: 'step', step: s + 1, samples, loss, window: detector.stats() ?? null });
    if (detector.push(loss) && !req.joint) await consolidate(s + 1, samples);
    // A task ends with the last step that does not reach into the next task (the stream's
    // batches may straddle a boundary); the joint upper bound has no tasks.
    const end = req.joint ? undefined : taskEnds.find((t) => samples <= t && samples + batch > t);
    const periodic = samples >= nextEval;
    if (periodic || end !== undefined) {
      await evaluate(samples, { periodic, taskEnd: end !== undefined });
      while (nextEval <= samples) nextEval += evalEvery;
    }
    if (req.signal?.aborted) {
      interrupted = true;
      break;
    }
  }
  const done = evals.at(-1)?.samples;
  const last = Math.min(steps, order.length) * batch;
  if (done !== last && !interrupted) await evaluate(last, { periodic: false, taskEnd: true });
  const seconds = (Date.now() - started) / 1000;
  const metrics = streamMetrics(evals);
  writeCheckpoint(join(req.outDir, 'checkpoint.safetensors'), {
    tensors: await model.state(),
    metadata: { format: CONTINUAL_FORMAT, model: p.graph.name, seed: String(req.seed), source_hash: req.source.hash },
  });
  log({
    kind: 'end',
    steps,
    dropped_samples: order.length - steps * batch,
    plateaus: plateaus.length,
    a_auc: metrics.aAuc,
    a_last: metrics.aLast,
    f_last: metrics.fLast,
    seconds,
    interrupted,
  });
  writeFileSync(
    join(req.outDir, 'accuracy.svg'),
    accuracySvg({
      title: `${p.graph.name}: ${m.kind}${req.joint ? ' (joint)' : ''} on ${spec.stream.kind}`,
      evals,
      plateaus: plateaus.map((q) => q.samples),
      taskStarts: req.joint ? [] : stream.taskStarts,
      total: steps * batch,
    }),
  );
  return { metrics, evals, plateaus, steps, seconds, trainable: p.trainable, interrupted, stream };
}
