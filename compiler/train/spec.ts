// A `train` section's settings, checked and turned into what the trainer runs: the model with
// its arguments, the data, the loss, the optimizer and learning rate, the schedule, batch size,
// epochs, seed, frozen layers and backward rules. Every mistake is a located diagnostic.
//
//   train digits {
//     model = lenet5(num_classes=10)
//     data = "mnist"
//     loss = cross_entropy(label_smoothing=0.1)
//     optimizer = sgd(lr=0.05, momentum=0.9, weight_decay=5e-4)
//     schedule = cosine(warmup=100)
//     batch = 64
//     epochs = 5
//     seed = 0
//     freeze "conv1"
//     freeze_stats = "features.*"     # batchnorm layers that keep their running statistics
//   }
//
// A section with `continual = online_lora(…)` (or `online(…)`) trains on a stream instead of
// epochs (compiler/drivers/continual/): `stream = split(tasks=5)` or `si_blurry(…)`, and
// `eval_every` samples between evaluations.
import type { LossSpec } from '../autodiff/grad.js';
import type { OptimizerSpec } from '../autodiff/optimizer.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { ModelRef, TrainSection } from '../elaborate/elaborate.js';
import { repr, type V } from '../elaborate/values.js';
import type { Graph } from '../ir/types.js';
import type { Span } from '../source.js';
import type { Schedule } from '../../runtime/train/schedule.js';
import { globToRegExp, matchesLayer } from '../ir/layer-glob.js';
import { parseRule, type BackwardRule } from '../rewrites/strategy.js';
import type { ContinualMethod, ContinualSpec, LogitMask } from './continual.js';
import type { StreamSpec } from '../../runtime/data/stream.js';
import { TEACHER_STUDENT_SIGNATURE, teacherStudentSpec, type TeacherStudentSpec } from './teacher-student.js';
import { SpecError, bad, num, posInt } from '../elaborate/spec-errors.js';

/**
 * How a model is trained: the optimizer with its learning rate and schedule, the batch size, the
 * epochs and the seed. A train section's spec has it, and so has every driver run that trains
 * (unlearning's teacher–student and self-supervised runs and its baselines).
 */
export interface TrainingBudget {
  readonly optimizer: OptimizerSpec;
  readonly lr: number;
  readonly schedule: Schedule;
  readonly batch: number;
  readonly epochs: number;
  readonly seed: number;
}

export interface TrainSpec extends TrainingBudget {
  readonly name: string;
  readonly model: ModelRef;
  readonly data: string;
  readonly loss: LossSpec;
  /** Layer-name patterns whose parameters get no gradient. */
  readonly freeze: readonly { readonly pattern: string; readonly span: Span }[];
  /** `backward` rules, checked but not yet resolved against the model (compiler/rewrites/). */
  readonly backward: readonly BackwardRule[];
  /** Layer-name patterns of the batchnorm layers that run in eval mode (running statistics, no update). */
  readonly freezeStats: readonly { readonly pattern: string; readonly span: Span }[];
  /** Training on a stream (continual learning) instead of epochs, when the section asks for it. */
  readonly continual?: ContinualSpec;
  /** Teacher–student unlearning of an encoder–decoder model instead of training (teacher-student.ts). */
  readonly teacherStudent?: TeacherStudentSpec;
}

const SETTINGS = [
  'data',
  'loss',
  'optimizer',
  'schedule',
  'batch',
  'epochs',
  'seed',
  'freeze_stats',
  'continual',
  'stream',
  'eval_every',
  'unlearning',
];

/** Keyword arguments each constructor takes, with defaults. */
const SIGNATURES: Record<string, Record<string, V>> = {
  sgd: {
    lr: { t: 'float', v: 0.05 },
    momentum: { t: 'float', v: 0 },
    dampening: { t: 'float', v: 0 },
    nesterov: { t: 'bool', v: false },
    weight_decay: { t: 'float', v: 0 },
  },
  adam: {
    lr: { t: 'float', v: 1e-3 },
    betas: {
      t: 'tuple',
      items: [
        { t: 'float', v: 0.9 },
        { t: 'float', v: 0.999 },
      ],
    },
    eps: { t: 'float', v: 1e-8 },
    weight_decay: { t: 'float', v: 0 },
  },
  adamw: {
    lr: { t: 'float', v: 1e-3 },
    betas: {
      t: 'tuple',
      items: [
        { t: 'float', v: 0.9 },
        { t: 'float', v: 0.999 },
      ],
    },
    eps: { t: 'float', v: 1e-8 },
    weight_decay: { t: 'float', v: 0.01 },
  },
  cross_entropy: { label_smoothing: { t: 'float', v: 0 } },
  mse: {},
  constant: { warmup: { t: 'int', v: 0 } },
  step: { warmup: { t: 'int', v: 0 }, every: { t: 'int', v: 1 }, gamma: { t: 'float', v: 0.1 } },
  cosine: { warmup: { t: 'int', v: 0 }, min_lr: { t: 'float', v: 0 } },
  online: {
    mask: { t: 'str', v: 'seen' },
    window: { t: 'int', v: 5 },
    mean_threshold: { t: 'float', v: 6.0 },
    var_threshold: { t: 'float', v: 0.1 },
  },
  online_lora: {
    mask: { t: 'str', v: 'seen' },
    lambda: { t: 'float', v: 2000 },
    window: { t: 'int', v: 5 },
    mean_threshold: { t: 'float', v: 6.0 },
    var_threshold: { t: 'float', v: 0.1 },
    hard_buffer: { t: 'int', v: 4 },
    merge: { t: 'str', v: 'clean' },
  },
  split: { tasks: { t: 'int', v: 5 }, train_per_class: { t: 'int', v: 0 }, test_per_class: { t: 'int', v: 0 } },
  si_blurry: {
    tasks: { t: 'int', v: 5 },
    disjoint: { t: 'float', v: 0.5 },
    blurry: { t: 'float', v: 0.1 },
    train_per_class: { t: 'int', v: 0 },
    test_per_class: { t: 'int', v: 0 },
  },
  teacher_student: TEACHER_STUDENT_SIGNATURE,
};

/** The constructors each setting accepts (every one has its signature above). */
const KINDS: Record<string, string[]> = {
  optimizer: ['sgd', 'adam', 'adamw'],
  loss: ['cross_entropy', 'mse'],
  schedule: ['constant', 'step', 'cosine'],
  continual: ['online', 'online_lora'],
  stream: ['split', 'si_blurry'],
  unlearning: ['teacher_student'],
};

/** The names of the optimizer, loss and schedule constructors, for the train vocabulary. */
export const SETTING_CONSTRUCTORS: readonly string[] = Object.values(KINDS).flat();

/** A setting that must be one of the constructors of its kind; returns its arguments with defaults. */
function config(setting: string, v: V, span: Span): { kind: string; args: Map<string, V> } {
  const kinds = KINDS[setting]!;
  if (v.t !== 'config' || !kinds.includes(v.kind))
    return bad(`\`${setting}\` must be one of ${kinds.map((k) => `${k}(…)`).join(', ')}, got ${repr(v)}`, span);
  const sig = SIGNATURES[v.kind]!;
  const args = new Map(Object.entries(sig));
  for (const [k, x] of v.args) {
    if (!(k in sig)) {
      const dym = didYouMean(k, Object.keys(sig));
      throw new SpecError(
        diag('MDL3001', `${v.kind}() has no argument \`${k}\``, v.span, {
          hint: `${dym ? dym + ' ' : ''}its arguments: ${Object.keys(sig).join(', ') || 'none'}`,
        }),
      );
    }
    args.set(k, x);
  }
  return { kind: v.kind, args };
}

/** Checks a train section and builds its spec; diagnostics instead when it has mistakes. */
export function trainSpec(section: TrainSection): { spec?: TrainSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const get = (k: string) => section.settings.get(k);
  try {
    for (const [k, { span }] of section.settings)
      if (!SETTINGS.includes(k)) {
        const dym = didYouMean(k, ['model', ...SETTINGS]);
        diagnostics.push(
          diag('MDL3001', `a train section has no setting \`${k}\``, span, {
            hint: `${dym ? dym + ' ' : ''}settings: model, ${SETTINGS.join(', ')}`,
          }),
        );
      }
    if (!section.model)
      return { diagnostics: [diag('MDL3002', `train section \`${section.name}\` names no model`, section.span)] };
    const opt = get('optimizer')
      ? config('optimizer', get('optimizer')!.v, get('optimizer')!.span)
      : {
          kind: 'sgd',
          args: new Map([...Object.entries(SIGNATURES['sgd']!), ['momentum', { t: 'float', v: 0.9 } as V]]),
        };
    const o = opt.args;
    const optSpan = get('optimizer')?.span ?? section.span;
    const lr = num(o.get('lr')!, `${opt.kind}(): lr`, optSpan);
    if (!(lr > 0)) bad(`${opt.kind}(): lr must be positive, got ${lr}`, optSpan);
    let optimizer: OptimizerSpec;
    if (opt.kind === 'sgd') {
      const nesterov = o.get('nesterov')!;
      if (nesterov.t !== 'bool') bad('sgd(): nesterov must be a bool', optSpan);
      optimizer = {
        kind: 'sgd',
        momentum: num(o.get('momentum')!, 'sgd(): momentum', optSpan),
        dampening: num(o.get('dampening')!, 'sgd(): dampening', optSpan),
        nesterov: nesterov.v,
        weightDecay: num(o.get('weight_decay')!, 'sgd(): weight_decay', optSpan),
      };
      if (optimizer.nesterov && !((optimizer.momentum ?? 0) > 0)) bad('sgd(): nesterov needs a momentum > 0', optSpan);
    } else {
      const betas = o.get('betas')!;
      if ((betas.t !== 'tuple' && betas.t !== 'list') || betas.items.length !== 2)
        bad(`${opt.kind}(): betas must be a pair (b1, b2)`, optSpan);
      const [b1, b2] = (betas as { items: readonly V[] }).items.map((b) => num(b, `${opt.kind}(): betas`, optSpan));
      optimizer = {
        kind: opt.kind as 'adam' | 'adamw',
        beta1: b1!,
        beta2: b2!,
        eps: num(o.get('eps')!, `${opt.kind}(): eps`, optSpan),
        weightDecay: num(o.get('weight_decay')!, `${opt.kind}(): weight_decay`, optSpan),
      };
    }
    let loss: LossSpec = { kind: 'cross_entropy' };
    if (get('loss')) {
      const l = config('loss', get('loss')!.v, get('loss')!.span);
      loss =
        l.kind === 'mse'
          ? { kind: 'mse' }
          : {
              kind: 'cross_entropy',
              labelSmoothing: num(
                l.args.get('label_smoothing')!,
                'cross_entropy(): label_smoothing',
                get('loss')!.span,
              ),
            };
    }
    let schedule: Schedule = { kind: 'cosine', warmup: 0, minLr: 0 };
    if (get('schedule')) {
      const { v, span } = get('schedule')!;
      const s = config('schedule', v, span);
      const warmup = posInt(s.args.get('warmup')!, `${s.kind}(): warmup`, span, 0);
      schedule =
        s.kind === 'constant'
          ? { kind: 'constant', warmup }
          : s.kind === 'step'
            ? {
                kind: 'step',
                warmup,
                every: posInt(s.args.get('every')!, 'step(): every', span),
                gamma: num(s.args.get('gamma')!, 'step(): gamma', span),
              }
            : { kind: 'cosine', warmup, minLr: num(s.args.get('min_lr')!, 'cosine(): min_lr', span) };
    }
    const data = get('data');
    if (data && data.v.t !== 'str')
      bad(
        `\`data\` must be a data set name or a folder, got ${repr(data.v)}`,
        data.span,
        'e.g. data = "mnist", "fashion-mnist" or "path/to/folder"',
      );
    const backward: BackwardRule[] = [];
    for (const b of section.backward) {
      const r = parseRule(b);
      if (r.diagnostic) diagnostics.push(r.diagnostic);
      else backward.push(r.rule!);
    }
    const freeze = section.freeze.map((f) => {
      if (f.pattern.t !== 'str')
        bad(
          `freeze takes layer-name patterns as strings, got ${repr(f.pattern)}`,
          f.span,
          'e.g. freeze "features.*", "classifier.0"',
        );
      return { pattern: f.pattern.v, span: f.span };
    });
    const fs = get('freeze_stats');
    const patterns = fs ? (fs.v.t === 'list' || fs.v.t === 'tuple' ? fs.v.items : [fs.v]) : [];
    const freezeStats = patterns.map((p) => {
      if (p.t !== 'str')
        bad(
          `freeze_stats takes layer-name patterns as strings, got ${repr(p)}`,
          fs!.span,
          'e.g. freeze_stats = "features.*" or ["layer1", "layer2.*"]',
        );
      return { pattern: p.v, span: fs!.span };
    });
    const continual = continualSpec(get);
    const teacherStudent = unlearningSpec(get('unlearning'), get('continual') !== undefined);
    const spec: TrainSpec = {
      name: section.name,
      model: section.model,
      data: data ? (data.v as { v: string }).v : 'mnist',
      loss,
      optimizer,
      lr,
      schedule,
      batch: get('batch') ? posInt(get('batch')!.v, '`batch`', get('batch')!.span) : 64,
      epochs: get('epochs') ? posInt(get('epochs')!.v, '`epochs`', get('epochs')!.span) : 3,
      seed: get('seed') ? posInt(get('seed')!.v, '`seed`', get('seed')!.span, 0) : 0,
      freeze,
      backward,
      freezeStats,
      ...(continual ? { continual } : {}),
      ...(teacherStudent ? { teacherStudent } : {}),
    };
    return diagnostics.length ? { diagnostics } : { spec, diagnostics };
  } catch (e) {
    if (e instanceof SpecError) return { diagnostics: [...diagnostics, e.d] };
    throw e;
  }
}

const fraction = (v: V, what: string, span: Span): number => {
  const x = num(v, what, span);
  if (!(x >= 0 && x <= 1)) bad(`${what} must be a fraction in [0, 1], got ${x}`, span);
  return x;
};

/** `continual`, `stream` and `eval_every`: the continual-learning settings, or none. */
function continualSpec(get: (k: string) => { v: V; span: Span } | undefined): ContinualSpec | undefined {
  const c = get('continual');
  if (!c) {
    for (const k of ['stream', 'eval_every'])
      if (get(k))
        bad(`\`${k}\` belongs to continual training`, get(k)!.span, 'add `continual = online_lora()` (or `online()`)');
    return undefined;
  }
  const { kind, args } = config('continual', c.v, c.span);
  const window = posInt(args.get('window')!, `${kind}(): window`, c.span);
  const meanThreshold = num(args.get('mean_threshold')!, `${kind}(): mean_threshold`, c.span);
  const varThreshold = num(args.get('var_threshold')!, `${kind}(): var_threshold`, c.span);
  const maskArg = args.get('mask')!;
  if (maskArg.t !== 'str' || !['seen', 'batch', 'none'].includes(maskArg.v))
    bad(
      `${kind}(): mask must be "seen", "batch" or "none", got ${repr(maskArg)}`,
      c.span,
      'the classes whose logits training keeps: those seen so far, those in the batch, or all',
    );
  const mask = (maskArg as { v: LogitMask }).v;
  let method: ContinualMethod;
  if (kind === 'online') method = { kind, mask, window, meanThreshold, varThreshold };
  else {
    const merge = args.get('merge')!;
    if (merge.t !== 'str' || (merge.v !== 'clean' && merge.v !== 'separate'))
      bad(
        `online_lora(): merge must be "clean" or "separate", got ${repr(merge)}`,
        c.span,
        '"clean" merges W += B·A; "separate" sums A and B apart, as the official code does',
      );
    const lambda = num(args.get('lambda')!, 'online_lora(): lambda', c.span);
    if (!(lambda >= 0)) bad(`online_lora(): lambda must be ≥ 0, got ${lambda}`, c.span);
    method = {
      kind: 'online_lora',
      mask,
      lambda,
      window,
      meanThreshold,
      varThreshold,
      hardBuffer: posInt(args.get('hard_buffer')!, 'online_lora(): hard_buffer', c.span, 0),
      merge: (merge as { v: 'clean' | 'separate' }).v,
    };
  }
  const st = get('stream');
  let stream: StreamSpec = { kind: 'split', tasks: 5, trainPerClass: 0, testPerClass: 0 };
  if (st) {
    const s = config('stream', st.v, st.span);
    const tasks = posInt(s.args.get('tasks')!, `${s.kind}(): tasks`, st.span);
    const trainPerClass = posInt(s.args.get('train_per_class')!, `${s.kind}(): train_per_class`, st.span, 0);
    const testPerClass = posInt(s.args.get('test_per_class')!, `${s.kind}(): test_per_class`, st.span, 0);
    stream =
      s.kind === 'split'
        ? { kind: 'split', tasks, trainPerClass, testPerClass }
        : {
            kind: 'si_blurry',
            tasks,
            disjoint: fraction(s.args.get('disjoint')!, 'si_blurry(): disjoint', st.span),
            blurry: fraction(s.args.get('blurry')!, 'si_blurry(): blurry', st.span),
            trainPerClass,
            testPerClass,
          };
  }
  const ev = get('eval_every');
  return { method, stream, evalEvery: ev ? posInt(ev.v, '`eval_every`', ev.span) : 1000 };
}

/** `unlearning = teacher_student(…)`, or none. */
function unlearningSpec(u: { v: V; span: Span } | undefined, continual: boolean): TeacherStudentSpec | undefined {
  if (!u) return undefined;
  if (continual)
    throw new SpecError(
      diag('MDL8606', '`unlearning` and `continual` exclude each other', u.span, {
        hint: 'a train section either unlearns from a trained model or trains on a stream',
      }),
    );
  const r = teacherStudentSpec(config('unlearning', u.v, u.span).args, u.span);
  if ('diagnostic' in r) throw new SpecError(r.diagnostic);
  return r.spec;
}

/**
 * Layer-name patterns → the parameters they freeze. `*` matches within one name part, `**`
 * across parts; a pattern matches a layer when it matches the layer's name or a dotted prefix
 * of it (`features.*` freezes everything under `features.0`, `features.1`, …). A pattern that
 * matches no layer is an error: it is almost always a typo.
 */
export function frozenParams(g: Graph, freeze: TrainSpec['freeze']): { names: string[]; diagnostics: Diagnostic[] } {
  const names = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const owners = new Map<string, string>();
  for (const n of g.nodes)
    for (const v of n.inputs.slice(n.dataInputs)) {
      const d = g.values[v]!.def;
      if (d.kind === 'param') owners.set(g.params[d.param]!.name, n.name);
    }
  for (const f of freeze) {
    const re = globToRegExp(f.pattern);
    let hit = false;
    for (const [param, layer] of owners) {
      if (matchesLayer(re, layer)) {
        names.add(param);
        hit = true;
      }
    }
    if (!hit) {
      const dym = didYouMean(f.pattern, new Set(owners.values()));
      diagnostics.push(
        diag(
          'MDL2001',
          `freeze "${f.pattern}" matches no layer with parameters`,
          f.span,
          dym ? { hint: dym } : { hint: 'see the layer names with `mdl summary`' },
        ),
      );
    }
  }
  return { names: [...names].sort(), diagnostics };
}

/**
 * The graph with the batchnorm layers that `freeze_stats` patterns select (by layer name, as
 * `freeze` selects) in eval mode inside training steps: their running statistics normalise and
 * are never updated (batchnorm2d's freeze_stats). A pattern that selects no batchnorm layer is
 * an error.
 */
export function freezeStats(g: Graph, patterns: TrainSpec['freezeStats']): { graph: Graph; diagnostics: Diagnostic[] } {
  if (patterns.length === 0) return { graph: g, diagnostics: [] };
  const bns = g.nodes.filter((n) => n.op === 'batchnorm2d');
  const chosen = new Set<number>();
  const diagnostics: Diagnostic[] = [];
  for (const p of patterns) {
    const re = globToRegExp(p.pattern);
    const hits = bns.filter((n) => matchesLayer(re, n.name));
    hits.forEach((n) => chosen.add(n.id));
    if (hits.length === 0) {
      const dym = didYouMean(
        p.pattern,
        bns.map((n) => n.name),
      );
      diagnostics.push(
        diag('MDL2001', `freeze_stats "${p.pattern}" matches no batchnorm layer`, p.span, {
          hint:
            dym ??
            (bns.length
              ? `its batchnorm layers: ${bns
                  .slice(0, 4)
                  .map((n) => n.name)
                  .join(', ')}…`
              : 'the model has no batchnorm layer'),
        }),
      );
    }
  }
  const nodes = g.nodes.map((n) => (chosen.has(n.id) ? { ...n, attrs: { ...n.attrs, freeze_stats: true } } : n));
  return { graph: { ...g, nodes }, diagnostics };
}
