// Elaboration: AST → IR. An interpreter over the AST that evaluates compile-time values,
// unrolls loops and conditionals, expands block calls, names every layer hierarchically, and
// emits IR nodes through the op registry's shape rules. Errors are caught per statement, so
// one run reports many independent mistakes, and `poison` keeps one mistake from cascading.
import type { Definition, Expr, Item, Pattern, Stmt, Subscript, TypeExpr } from '../../grammar/ast.js';
import type { SectionKind } from '../../grammar/lexer.js';
import { DiagnosticBag, MdlError, diag, fail, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatLimit, LIMITS } from '../diagnostics/limits.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { GraphBuilder } from '../ir/builder.js';
import { formatShape, knownElements, sameShape } from '../ir/shape.js';
import type { Attrs, DType, Graph, TensorType, ValueId } from '../ir/types.js';
import type { LoadedModule, LoadedProgram } from '../modules/loader.js';
import { getOp, OP_NAMES } from '../ops/registry.js';
import { OpError, paramName, type OpDef } from '../ops/types.js';
import type { Span } from '../source.js';
import { binaryOp, unaryOp, withinBudget } from './arith.js';
import { abort, Abort, addTo, resetBudget, spend, spent, spentSince, withinLimits } from './budget.js';
import { bindOpCall, matchArgs, type ArgValue } from './bind.js';
import { BUILTINS } from './builtins.js';
import { instantiateGeneric, recordGeneric, type GenericTemplate, type Recording } from './generic.js';
import {
  callKey,
  mapTensors,
  recordTemplate,
  replayTemplate,
  TemplateCache,
  type CallKey,
  type Template,
} from './memo.js';
import { compose, type Composition } from './compose.js';
import { SEGMENT_OP, segmentOf, type SegmentRecorder, type SegmentTemplate } from './segments.js';
import {
  addNodes,
  holdsHole,
  leafAt,
  recordExpansion,
  ModelTraces,
  recordTrace,
  replayTrace,
  signature,
  withHoles,
  type HoleStep,
  type KeptExpansion,
  type Trace,
  type TraceArg,
  type Tracing,
} from './trace.js';
import {
  FLOAT,
  INT,
  LIST,
  NONE,
  POISON,
  STR,
  TUPLE,
  brief,
  isNumber,
  repr,
  show,
  typeName,
  type ModuleRef,
  type V,
} from './values.js';

const MAX_DEPTH = 64;
const DTYPES: Record<string, DType> = { Tensor: 'f32', f32: 'f32', f16: 'f16', i32: 'i32' };
const SCALAR_TYPES = new Set(['int', 'float', 'bool', 'string', 'str', 'list', 'tuple', 'any']);
const PYTHON_SPELLINGS: Partial<Record<string, string>> = {
  True: 'true',
  False: 'false',
  None: 'none',
  elif: 'else if',
};
const TENSOR_OPS: Partial<Record<string, string>> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '@': 'matmul' };

/** A module's top-level names: its definitions, constants and imports. */
class ModuleEnv implements ModuleRef {
  readonly globals = new Map<string, V>();
  /** Names this module defines itself (what `import "…"` brings into another module). */
  readonly own = new Set<string>();
  readonly spans = new Map<string, Span>();
  constructor(
    readonly path: string,
    readonly loaded: LoadedModule,
  ) {}
  lookup(name: string): V | undefined {
    return this.globals.get(name);
  }
  names(): Iterable<string> {
    return this.own;
  }
}

interface CallSite {
  readonly block: string;
  readonly span: Span;
}

/** The state of one model or block invocation. */
interface Frame {
  readonly vars: Map<string, V>;
  readonly module: ModuleEnv;
  /** Hierarchical name of this invocation ('' for the model itself). */
  readonly prefix: string;
  readonly scope: readonly string[];
  /** Local layer names already taken in this invocation. */
  readonly used: Set<string>;
  readonly calls: readonly CallSite[];
  failed: boolean;
  /** Set in the body of a `space` section: where `model = net(…)` is recorded. */
  readonly space?: { model?: ModelRef };
  /** Set in the body of a settings section (`train`, …): its model, and a train section's rules. */
  readonly train?: TrainRecord;
}

/** A block call as a generic template keeps it, to make it again at other types (generic.ts). */
interface ChildSite {
  readonly def: Definition;
  readonly module: ModuleEnv;
  readonly call: Extract<Expr, { kind: 'call' }>;
  readonly spans: readonly (Span | undefined)[];
}

/**
 * Where a candidate trace's hole was called, to call a later candidate's choice there (trace.ts).
 * One object per call site, name, scope and argument types, shared by the traces of every
 * signature: the expansions it keeps, one per callee, serve them all.
 */
interface HoleSite {
  readonly module: ModuleEnv;
  readonly call: Extract<Expr, { kind: 'call' }>;
  readonly prefix: string;
  readonly scope: readonly string[];
  readonly hint: string | undefined;
  readonly explicit: string | undefined;
  readonly depth: number;
  readonly kept: Map<V, KeptExpansion>;
}

/** A model and the compile-time arguments a `space` section builds it with. */
export interface ModelRef {
  readonly def: Definition;
  readonly module: ModuleRef;
  readonly args: ReadonlyMap<string, V>;
}

/** What a settings section's body recorded besides its plain settings. */
interface TrainRecord {
  readonly kind: SettingsKind;
  model?: ModelRef;
  readonly freeze: { readonly pattern: V; readonly span: Span }[];
  readonly backward: { readonly selector: V; readonly strategy: V; readonly span: Span }[];
}

/**
 * A settings section evaluated: its settings as compile-time values, for the layer that
 * interprets its kind (a `train` section: compiler/train/spec.ts).
 */
export interface SettingsSection {
  readonly kind: SettingsKind;
  readonly name: string;
  readonly span: Span;
  readonly model: ModelRef | undefined;
  /** Every other assignment of the section (`optimizer = sgd(…)`, `batch = 64`, …), with its span. */
  readonly settings: ReadonlyMap<string, { readonly v: V; readonly span: Span }>;
  readonly freeze: readonly { readonly pattern: V; readonly span: Span }[];
  readonly backward: readonly { readonly selector: V; readonly strategy: V; readonly span: Span }[];
}

/** A `train` section evaluated (its `freeze` and `backward` rules are allowed only there). */
export type TrainSection = SettingsSection;

/** The section kinds whose bodies are settings (`space` sections enumerate candidates instead). */
export type SettingsKind = Exclude<SectionKind, 'space'>;

/**
 * The names of the calls that build settings inside a section of a kind (a `train` section's
 * optimizers, losses, schedules, backward strategies). The layers that interpret the settings
 * own these names (compiler/sections.ts), so the elaborator is given them; a kind not given
 * has none.
 */
export type TrainVocabulary = readonly string[];
export type SectionVocabularies = Readonly<Partial<Record<SettingsKind, TrainVocabulary>>>;

/** One `choice(…)` evaluated while a space was instantiated: a dimension of the space. */
export interface ChoicePoint {
  readonly span: Span;
  readonly options: readonly V[];
}

/** One candidate of a space: its choices, its name, and its graph (undefined on errors). */
export interface SpaceInstance {
  readonly space: string;
  /** Every choice evaluated, in order; the candidate took option `digits[k]` of choice k. */
  readonly choices: readonly ChoicePoint[];
  readonly digits: readonly number[];
  /** The section's `name = "…"`, else the chosen options joined. */
  readonly name: string;
  readonly model: ModelRef | undefined;
  readonly graph: Graph | undefined;
  /** The errors of this candidate (they are not kept in `diagnostics`). */
  readonly diagnostics: readonly Diagnostic[];
}

export interface ElaborateOptions {
  /** Values for the model's non-tensor parameters, overriding defaults. */
  readonly args?: ReadonlyMap<string, V>;
}

/** A block's signature text and argument specs, built once per block. */
const blockShapes = new WeakMap<
  Definition,
  { readonly sig: string; readonly specs: readonly { name: string; required: boolean }[] }
>();

/** Per set of taken names (a frame's `used`), the next suffix to try for each base name. */
const suffixes = new WeakMap<Set<string>, Map<string, number>>();

/** The keyword arguments of the many calls that have none (never mutated). */
const NO_KEYWORDS: Map<string, ArgValue> = new Map();
const NO_KWARGS: ReadonlyMap<string, V> = new Map();
/** The attributes of a segment node (segments.ts): none, the template says it all. */
const NO_ATTRS: Attrs = Object.freeze({});

/** Block expansions remembered for replay (see memo.ts): those used by several models, and
 * those of the last few models that no later one has used yet. */
const MEMO_ENTRIES = 2048;
const MEMO_PROBATION = 64;

/** A JavaScript stack overflow: nesting the syntax budget allows, compounded (blocks in blocks). */
function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/**
 * Whether calling `callee` runs a compile-time builtin: `sum`, `max`… exist both as builtins and
 * as tensor ops, and the first argument decides.
 */
function callsBuiltin(callee: V, positional: readonly ArgValue[]): boolean {
  if (callee.t === 'builtin') return true;
  return (
    callee.t === 'op' &&
    BUILTINS.has(callee.op.name) &&
    positional[0] !== undefined &&
    positional[0].v.t !== 'tensor' &&
    positional[0].v.t !== 'poison'
  );
}

export class Elaborator {
  readonly diagnostics = new DiagnosticBag();
  private readonly envs = new Map<string, ModuleEnv>();
  private builder: GraphBuilder | undefined;
  private depth = 0;
  /** Memoised block expansions; `memoise = false` turns replay off (tests compare both). */
  memoise = true;
  /** Search-space candidates replayed from traces (trace.ts); needs the memo. Tests turn it off. */
  traceCandidates = true;
  private readonly memo = new TemplateCache<Template>(MEMO_ENTRIES, MEMO_PROBATION);
  /** Type-generic templates (generic.ts), and the calls whose bodies are running, innermost last. */
  private readonly generic = new TemplateCache<GenericTemplate<ChildSite>>(MEMO_ENTRIES, MEMO_PROBATION);
  private readonly recordings: Recording<ChildSite>[] = [];
  /** Block calls not replayed from a typed template: instantiated from a generic one, or interpreted. */
  readonly expansions = { instantiated: 0, interpreted: 0 };
  /** Space candidates' models: replayed from a trace, recorded into one, or interpreted (trace.ts). */
  readonly candidates = { replayed: 0, recorded: 0, interpreted: 0 };
  /** Candidate traces, by model. */
  private readonly traces = new Map<Definition, ModelTraces<HoleSite>>();
  /** Hole call sites, by call, name, scope, depth and argument types (see holeSite). */
  private readonly holeSites = new Map<string, HoleSite>();
  /** While a candidate's model is recorded into a trace. */
  private tracing: Tracing<HoleSite> | undefined;
  /** Counters that tell whether a block's expansion can be memoised. */
  private shareUses = 0;
  private choiceUses = 0;
  /** The assignment a space is being instantiated under, and the choices met so far. */
  private choiceState: { readonly digits: readonly number[]; readonly points: ChoicePoint[] } | undefined;
  /**
   * A space section's body is running: the blocks it calls (a candidate's name, say) are not
   * memoised. Their arguments are the candidate's choices, new with every candidate, so the memo
   * would only grow by an entry per candidate and pay for the keys.
   */
  private inSection = false;
  /** While a coarse instance's model is elaborated: where its folded top-level calls go (segments.ts). */
  private segments: SegmentRecorder | undefined;
  private readonly spaceBuiltins: ReadonlyMap<string, V>;
  /** While a settings section runs, its kind's setting constructors shadow the ops of the same names. */
  private sectionBuiltins: ReadonlyMap<string, V> | undefined;
  private readonly vocabularies: ReadonlyMap<SettingsKind, ReadonlyMap<string, V>>;

  constructor(
    private readonly program: LoadedProgram,
    vocabularies: SectionVocabularies,
  ) {
    this.vocabularies = new Map(
      Object.entries(vocabularies).map(([kind, names]) => [
        kind as SettingsKind,
        new Map((names as TrainVocabulary).map((k) => [k, this.trainConstructor(k)])),
      ]),
    );
    this.spaceBuiltins = new Map<string, V>([
      ['choice', { t: 'builtin', name: 'choice', fn: (a, k, s) => this.choice(a, k, s) }],
      ['choices', { t: 'builtin', name: 'choices', fn: (a, k, s) => this.choices(a, k, s) }],
    ]);
    for (const d of program.diagnostics) this.diagnostics.add(d);
    for (const [path, m] of program.modules) this.envs.set(path, new ModuleEnv(path, m));
    // Modules are stored in dependency order, so imports are initialised before importers.
    for (const env of this.envs.values()) this.initModule(env);
  }

  get entry(): ModuleEnv | undefined {
    return this.envs.get(this.program.entry);
  }

  /** The models the entry file defines, in order. */
  models(): Definition[] {
    const e = this.entry;
    if (!e) return [];
    return e.loaded.program.items.filter((i): i is Definition => i.kind === 'model');
  }

  // ---------------------------------------------------------------- modules

  private initModule(env: ModuleEnv): void {
    const prog = env.loaded.program;
    let imp = 0;
    const define = (name: string, v: V, span: Span, own: boolean) => {
      if (env.globals.has(name)) {
        const first = env.spans.get(name);
        this.diagnostics.add(
          diag(
            'MDL2003',
            `\`${name}\` is defined twice in ${env.path}`,
            span,
            first ? { notes: [{ message: 'first defined here', span: first }] } : {},
          ),
        );
        return;
      }
      if (getOp(name) && v.t === 'def') {
        this.diagnostics.add(
          diag('MDL2008', `${v.def.kind} \`${name}\` has the name of a built-in op`, span, {
            hint: `rename it, e.g. \`${name}_block\``,
          }),
        );
        return;
      }
      env.globals.set(name, v);
      env.spans.set(name, span);
      if (own) env.own.add(name);
    };
    // Definitions first, so a constant may refer to a block defined below it.
    for (const item of prog.items)
      if (item.kind !== 'import' && item.kind !== 'from' && item.kind !== 'const')
        define(item.name, { t: 'def', def: item, module: env }, item.nameSpan, true);
    const frame = this.moduleFrame(env);
    for (const item of prog.items) {
      if (item.kind === 'import' || item.kind === 'from') {
        const target = env.loaded.imports[imp++];
        const dep = target === undefined ? undefined : this.envs.get(target);
        this.bindImport(env, item, dep, define);
      } else if (item.kind === 'const') {
        try {
          define(item.name, this.eval(item.value, frame), item.nameSpan, true);
        } catch (e) {
          this.record(e, frame);
          env.globals.set(item.name, POISON);
        }
      }
    }
  }

  private bindImport(
    env: ModuleEnv,
    item: Item,
    dep: ModuleEnv | undefined,
    define: (n: string, v: V, s: Span, own: boolean) => void,
  ): void {
    if (item.kind === 'import') {
      if (item.alias) {
        define(
          item.alias.name,
          dep ? { t: 'ns', module: dep, alias: item.alias.name } : POISON,
          item.alias.span,
          false,
        );
      } else if (dep) {
        for (const n of dep.own) define(n, dep.globals.get(n)!, item.span, false);
      }
    } else if (item.kind === 'from') {
      for (const t of item.names) {
        const v = dep?.globals.get(t.name);
        if (dep && (v === undefined || !dep.own.has(t.name))) {
          const dym = didYouMean(t.name, dep.own);
          this.diagnostics.add(
            diag('MDL2009', `${dep.path} has no definition \`${t.name}\``, t.span, dym ? { hint: dym } : {}),
          );
        }
        define(t.name, v ?? POISON, t.span, false);
      }
    }
  }

  private moduleFrame(env: ModuleEnv): Frame {
    return { vars: new Map(), module: env, prefix: '', scope: [], used: new Set(), calls: [], failed: false };
  }

  // ---------------------------------------------------------------- models

  /** Elaborates one model of the entry file into an IR graph (undefined when it has errors). */
  elaborateModel(def: Definition, opts: ElaborateOptions = {}): Graph | undefined {
    return this.elaborateIn(def, this.entry!, opts);
  }

  private elaborateIn(def: Definition, env: ModuleEnv, opts: ElaborateOptions): Graph | undefined {
    const before = this.diagnostics.items.length;
    resetBudget();
    const builder = new GraphBuilder(def.name);
    this.builder = builder;
    const frame: Frame = {
      vars: new Map(),
      module: env,
      prefix: '',
      scope: [],
      used: new Set(),
      calls: [],
      failed: false,
    };
    try {
      for (const p of def.params) this.bindModelParam(p, frame, builder, opts);
      const ret = this.execBody(def.body, frame);
      if (ret === undefined)
        fail('MDL2010', `model \`${def.name}\` has no return`, def.nameSpan, {
          hint: 'end the model with `return output`',
        });
      const retStmt = findReturn(def.body);
      const values = ret.t === 'tuple' && (retStmt?.values.length ?? 1) > 1 ? ret.items : [ret];
      values.forEach((v, i) => {
        const expr = retStmt?.values[i];
        if (v.t === 'poison') return;
        if (v.t !== 'tensor')
          fail('MDL3004', `model \`${def.name}\` must return tensors, got ${typeName(v)}`, expr?.span ?? def.nameSpan);
        const name = expr?.kind === 'name' ? expr.name : values.length === 1 ? 'output' : `output${i}`;
        builder.addOutput(name, v.id);
      });
    } catch (e) {
      this.record(e, frame);
    } finally {
      this.builder = undefined;
      this.memo.endInstance();
      this.generic.endInstance();
    }
    if (this.diagnostics.items.slice(before).some((d) => d.severity === 'error')) return undefined;
    return builder.finish();
  }

  // ---------------------------------------------------------------- train sections

  /** Elaborates the model a section names, with the section's arguments. */
  elaborateModelRef(ref: ModelRef): Graph | undefined {
    return this.elaborateIn(ref.def, ref.module as ModuleEnv, { args: ref.args });
  }

  /** The `train` sections the entry file defines, in order. */
  trainSections(): Definition[] {
    return this.sections('train');
  }

  /** The sections of a kind the entry file defines, in order. */
  sections(kind: SectionKind): Definition[] {
    const e = this.entry;
    if (!e) return [];
    return e.loaded.program.items.filter((i): i is Definition => i.kind === kind);
  }

  /**
   * Runs a `train` section's body. Inside it, `sgd(…)`, `cosine(…)`, `cross_entropy(…)` and the
   * other names of the train vocabulary build settings (the ops of the same names are not
   * reachable there), `model = net(…)` names the model and its arguments, and `freeze` /
   * `backward` record rules. Undefined when the section has errors (they are in `diagnostics`).
   */
  evaluateTrain(def: Definition): TrainSection | undefined {
    return this.evaluateSection(def);
  }

  /**
   * Runs a settings section's body (any kind but `space`): its kind's vocabulary builds settings,
   * `model = net(…)` names the model. Undefined when the section has errors.
   */
  evaluateSection(def: Definition): SettingsSection | undefined {
    if (def.kind === 'model' || def.kind === 'block' || def.kind === 'space')
      throw new Error(`evaluateSection: ${def.kind} ${def.name} is not a settings section`);
    const kind: SettingsKind = def.kind;
    const before = this.diagnostics.items.length;
    resetBudget();
    const train: TrainRecord = { kind, freeze: [], backward: [] };
    const frame: Frame = {
      vars: new Map(),
      module: this.entry!,
      prefix: '',
      scope: [],
      used: new Set(),
      calls: [],
      failed: false,
      train,
    };
    const spans = new Map<string, Span>();
    for (const s of def.body) if (s.kind === 'assign' && s.targets.length === 1) spans.set(s.targets[0]!.name, s.span);
    this.sectionBuiltins = this.vocabularies.get(kind) ?? new Map();
    try {
      this.execBody(def.body, frame);
      // A section over a search space names the space (a `space` section) instead of a model.
      const namesSpace = [...frame.vars.values()].some((v) => v.t === 'def' && v.def.kind === 'space');
      if (!train.model && !namesSpace && !frame.failed)
        fail('MDL3002', `${kind} section \`${def.name}\` names no model`, def.nameSpan, {
          hint: 'add `model = net()` (with arguments, if any), or the space a search runs over',
        });
    } catch (e) {
      this.record(e, frame);
    } finally {
      this.sectionBuiltins = undefined;
    }
    if (this.diagnostics.items.slice(before).some((d) => d.severity === 'error')) return undefined;
    const settings = new Map<string, { v: V; span: Span }>();
    for (const [k, v] of frame.vars) settings.set(k, { v, span: spans.get(k) ?? def.span });
    return {
      kind,
      name: def.name,
      span: def.nameSpan,
      model: train.model,
      settings,
      freeze: train.freeze,
      backward: train.backward,
    };
  }

  /** A setting constructor called in a train section: its keyword arguments, kept as values. */
  private trainConstructor(kind: string): V {
    return {
      t: 'builtin',
      name: kind,
      fn: (args, kwargs, span) => {
        if (args.length > 0)
          fail(
            'MDL3003',
            `${kind}() takes keyword arguments only, e.g. ${kind}(${kind === 'sgd' ? 'lr=0.1, momentum=0.9' : 'name=value'})`,
            span,
          );
        return { t: 'config', kind, args: kwargs, span };
      },
    };
  }

  // ---------------------------------------------------------------- search spaces

  /** The `space` sections the entry file defines, in order. */
  spaces(): Definition[] {
    const e = this.entry;
    if (!e) return [];
    return e.loaded.program.items.filter((i): i is Definition => i.kind === 'space');
  }

  /**
   * Instantiates one candidate of a space: runs the section's body with choice k taking
   * option `digits[k]` (0 past the end of `digits`), then elaborates the model it names.
   * Choices are numbered in the order they are evaluated, in the section and in the model.
   * With `coarse`, the model's top-level block calls are folded into segment nodes recorded
   * there (segments.ts); the graph is then only for compiler/space/incremental.ts.
   */
  instantiate(def: Definition, digits: readonly number[], coarse?: SegmentRecorder): SpaceInstance {
    const { instance, model } = this.runSpace(def, digits, (m) => {
      this.segments = coarse;
      try {
        return this.elaborateCandidate(m);
      } finally {
        this.segments = undefined;
      }
    });
    return { ...instance, graph: model };
  }

  /**
   * A candidate of a space composed from its signature's trace without building its graph
   * (compose.ts), or why it is not (it is then instantiated as usual). The section runs as for
   * `instantiate`; the instance has no graph.
   */
  composeCandidate(
    def: Definition,
    digits: readonly number[],
  ): { readonly instance: SpaceInstance; readonly composition: Composition<unknown> | string } {
    const { instance, model } = this.runSpace(def, digits, (m) => this.composeModel(m));
    return { instance: { ...instance, graph: undefined }, composition: model ?? 'the section reports an error' };
  }

  private composeModel(model: ModelRef): Composition<unknown> | string {
    if (!this.memoise || !this.traceCandidates) return 'candidate traces are off';
    const traces = this.traces.get(model.def);
    if (!traces) return 'no trace recorded yet';
    const sig = signature(model.args, traces);
    if (sig === undefined) return 'its arguments have no trace signature';
    const t = traces.traces.get(sig);
    if (t === undefined) return 'no trace recorded yet';
    if (typeof t === 'string') return t;
    return compose<HoleSite>(
      t,
      (path) => leafAt(model.args, path),
      (step, callee) => step.site.kept.get(callee as V),
      // The name a layer called there takes (see layerName): every layer the call makes is under it.
      (site) => (site.explicit ? qualified(site.prefix, site.explicit) : ''),
    ) as Composition<unknown> | string;
  }

  /**
   * Runs a space section for one assignment, then `model` on the model it names unless the
   * section failed: the candidate's instance (its graph left to the caller) and what `model` gave.
   */
  private runSpace<T>(
    def: Definition,
    digits: readonly number[],
    model: (m: ModelRef) => T | undefined,
  ): { instance: Omit<SpaceInstance, 'graph'>; model: T | undefined } {
    const before = this.diagnostics.items.length;
    resetBudget();
    const state = { digits, points: [] as ChoicePoint[] };
    this.choiceState = state;
    const space: { model?: ModelRef } = {};
    const frame: Frame = {
      vars: new Map(),
      module: this.entry!,
      prefix: '',
      scope: [],
      used: new Set(),
      calls: [],
      failed: false,
      space,
    };
    let made: T | undefined;
    let name: string | undefined;
    try {
      // Blocks called in the section (to build a name, say) may need a graph to live in.
      this.builder = new GraphBuilder(def.name);
      this.inSection = true;
      try {
        this.execBody(def.body, frame);
        const n = frame.vars.get('name');
        if (n !== undefined && n.t !== 'poison') {
          if (n.t !== 'str') fail('MDL3004', `a space's \`name\` must be a string, got ${typeName(n)}`, def.nameSpan);
          name = n.v;
        }
        if (!space.model && !frame.failed)
          fail('MDL3002', `space \`${def.name}\` names no model`, def.nameSpan, {
            hint: 'add `model = net(…)` with the arguments to search over',
          });
      } catch (e) {
        this.record(e, frame);
      } finally {
        this.builder = undefined;
        this.inSection = false;
      }
      if (space.model && !this.diagnostics.items.slice(before).some((d) => d.severity === 'error'))
        made = model(space.model);
    } finally {
      this.choiceState = undefined;
    }
    const diagnostics = this.diagnostics.items.splice(before);
    const picks = state.points.map((_, k) => digits[k] ?? 0);
    const failed = diagnostics.some((d) => d.severity === 'error');
    const instance = {
      space: def.name,
      choices: state.points,
      digits: picks,
      // A choice that failed (its options depend on an earlier choice, and the assignment picks
      // past them) is a point with no picked option: the candidate has that error, and a name.
      name:
        name ??
        state.points
          .map((p, k) => {
            const o = p.options[picks[k]!];
            return o === undefined ? '?' : show(o);
          })
          .join(','),
      model: space.model,
      diagnostics,
    };
    return { instance, model: failed ? undefined : made };
  }

  /**
   * A candidate's model: replayed from the trace of its signature, else recorded into one, else
   * interpreted (trace.ts). Coarse instances and elaboration without the memo always interpret.
   */
  private elaborateCandidate(model: ModelRef): Graph | undefined {
    const def = model.def;
    const module = model.module as ModuleEnv;
    const args = model.args;
    const interpret = (): Graph | undefined => {
      this.candidates.interpreted++;
      return this.elaborateIn(def, module, { args });
    };
    if (!this.memoise || !this.traceCandidates || this.segments) return interpret();
    let traces = this.traces.get(def);
    if (!traces) this.traces.set(def, (traces = new ModelTraces()));
    const sig = signature(args, traces);
    if (sig === undefined) return interpret();
    const t = traces.traces.get(sig);
    if (typeof t === 'string') return interpret();
    if (t) {
      const g = this.replayCandidate(def, module, args, t);
      if (!g) return interpret();
      traces.replayed++;
      this.candidates.replayed++;
      return g;
    }
    if (!traces.worthwhile) return interpret();
    traces.recorded++;
    this.candidates.recorded++;
    const tracing: Tracing<HoleSite> = {
      holes: new WeakMap(),
      observed: new Set(),
      kindsRead: new Set(),
      calls: [],
      holeSpent: {},
    };
    const marks = { diagnostics: this.diagnostics.items.length, choice: this.choiceUses };
    this.tracing = tracing;
    let g: Graph | undefined;
    try {
      g = this.elaborateIn(def, module, { args: withHoles(args, traces, tracing) });
    } finally {
      this.tracing = undefined;
    }
    // The values and kinds read join the signature: the next candidate records under the finer one.
    if (tracing.observed.size > 0 || tracing.kindsRead.size > 0) {
      for (const p of tracing.observed) traces.values.add(p);
      for (const p of tracing.kindsRead) traces.kinds.add(p);
    } else if (!g) {
      // A candidate that fails says nothing about the others of its signature.
    } else if (this.diagnostics.items.length > marks.diagnostics) traces.traces.set(sig, 'it reports warnings');
    else if (this.choiceUses !== marks.choice) traces.traces.set(sig, 'the model evaluates a choice');
    else if (tracing.refused) traces.traces.set(sig, tracing.refused);
    else {
      // What the recording spent outside the hole calls, which a replay spends at once.
      const outside = spentSince(tracing.holeSpent);
      traces.traces.set(sig, recordTrace(g, tracing.calls, outside) ?? 'a layer reads inside a chosen call');
    }
    return g;
  }

  /** A candidate's model from its signature's trace; undefined (nothing reported) when the replay gives up. */
  private replayCandidate(
    def: Definition,
    module: ModuleEnv,
    args: ReadonlyMap<string, V>,
    t: Trace<HoleSite>,
  ): Graph | undefined {
    const before = this.diagnostics.items.length;
    resetBudget();
    // The budgets the recording spent outside the hole calls: the hole calls spend the rest.
    spend(t.spent);
    const b = new GraphBuilder(def.name);
    this.builder = b;
    const frame: Frame = { vars: new Map(), module, prefix: '', scope: [], used: new Set(), calls: [], failed: false };
    let ok = false;
    try {
      for (const p of def.params) this.bindModelParam(p, frame, b, { args });
      ok =
        replayTrace(b, t, b.inputIds, (step, positional, keywords) =>
          this.replayHole(step, args, positional, keywords),
        ) &&
        b.nodeCount < LIMITS.layers &&
        withinLimits() &&
        this.diagnostics.items.length === before;
    } catch (e) {
      if (!(e instanceof MdlError)) throw e;
    } finally {
      this.builder = undefined;
      this.memo.endInstance();
      this.generic.endInstance();
    }
    if (ok) return b.finish();
    this.diagnostics.items.length = before;
    return undefined;
  }

  /**
   * A hole step of a trace, made with this candidate's choice at its path. Its arguments have the
   * types they had when recorded (the steps before it checked theirs), so its expansion is a
   * function of the callee alone: its nodes are kept on the step's site per callee, with what it
   * spent of the budgets, and added again when the same callee comes there again, in any trace.
   */
  private replayHole(
    step: HoleStep<HoleSite>,
    choices: ReadonlyMap<string, V>,
    slots: ValueId[],
    args: () => { positional: TraceArg[]; keywords: Map<string, TraceArg> },
  ): V | undefined {
    const callee = leafAt(choices, step.path);
    if (!callee) return undefined;
    const s = step.site;
    const b = this.builder!;
    const hit = s.kept.get(callee);
    if (hit) {
      const made: ValueId[] = [];
      const resolve = (r: number): ValueId => (r < 0 ? slots[-r - 1]! : made[r]!);
      if (!addNodes(b, hit.nodes, resolve, made)) return undefined;
      spend(hit.spent);
      return mapTensors(hit.result, resolve);
    }
    const { positional, keywords } = args();
    if (callsBuiltin(callee, positional)) return undefined;
    const frame: Frame = {
      vars: new Map(),
      module: s.module,
      prefix: s.prefix,
      scope: s.scope,
      used: new Set(),
      calls: [],
      failed: false,
    };
    const depth = this.depth;
    const before = this.diagnostics.items.length;
    const marks = { first: b.nodeCount, spent: { ...spent }, share: this.shareUses, choice: this.choiceUses };
    this.depth = s.depth;
    let r: V;
    try {
      r = this.applyCallee(callee, positional, keywords, s.call, frame, s.hint, s.explicit);
    } finally {
      this.depth = depth;
    }
    if (r.t === 'poison' || frame.failed || this.diagnostics.items.length !== before) return undefined;
    const kept =
      this.shareUses === marks.share && this.choiceUses === marks.choice
        ? recordExpansion(b, marks.first, slots, r)
        : undefined;
    if (kept) s.kept.set(callee, { ...kept, spent: spentSince(marks.spent) });
    return r;
  }

  /** `model = net(a=…, b=…)` in a space: the model and its compile-time arguments, not a call. */
  private modelRef(e: Expr, frame: Frame): ModelRef {
    const callee = e.kind === 'call' ? this.eval(e.callee, frame) : undefined;
    if (e.kind !== 'call' || callee?.t !== 'def' || callee.def.kind !== 'model')
      return fail(
        'MDL3004',
        'a `space` or `train` section names its model as `model = net(arguments…)`, a model defined in this file or imported',
        e.span,
      );
    const def = callee.def;
    const params = def.params.filter((p) => !(p.type && DTYPES[p.type.name]));
    const positional: ArgValue[] = [];
    // Most calls have no keyword arguments; they share one empty map (nothing mutates it).
    const keywords = e.args.some((a) => a.name !== undefined) ? new Map<string, ArgValue>() : NO_KEYWORDS;
    for (const a of e.args) {
      const v = this.eval(a.value, frame);
      if (a.name === undefined) positional.push({ v, span: a.span });
      else keywords.set(a.name, { v, span: a.value.span, ...(a.nameSpan ? { nameSpan: a.nameSpan } : {}) });
    }
    const sig = `${def.name}(${params.map((p) => p.name + (p.default ? '=…' : '')).join(', ')})`;
    const matched = matchArgs(
      def.name,
      params.map((p) => ({ name: p.name, required: false })),
      positional,
      keywords,
      e.span,
      sig,
    );
    const args = new Map<string, V>();
    params.forEach((p, i) => {
      const m = matched[i] as ArgValue | undefined;
      if (!m) return;
      if (containsTensor(m.v))
        fail(
          'MDL3004',
          `the arguments of a space's model must be compile-time values; \`${p.name}\` holds a tensor`,
          m.span,
        );
      args.set(p.name, m.v);
    });
    return { def, module: callee.module, args };
  }

  /** `choice(options)` / `choice(a, b, c)`: one option, the one the current assignment picks. */
  private choice(args: readonly V[], kwargs: ReadonlyMap<string, V>, span: Span): V {
    if (kwargs.size > 0)
      fail('MDL3001', `choice() takes no keyword arguments`, span, {
        hint: 'write choice([a, b, c]) or choice(range(lo, hi))',
      });
    const options = args.length === 1 && (args[0]!.t === 'list' || args[0]!.t === 'tuple') ? args[0]!.items : args;
    if (options.length === 0) fail('MDL3006', 'choice() needs at least one option', span);
    if (options.some((o) => o.t === 'poison')) return POISON;
    const st = this.choiceState;
    if (!st)
      fail('MDL3012', 'choice() is allowed only while a search space is instantiated', span, {
        hint: 'put choices in a `space NAME { model = net(arg=choice([…])) }` section and run `mdl score`',
      });
    this.choiceUses++;
    const k = st.points.push({ span, options }) - 1;
    const d = st.digits[k] ?? 0;
    if (d >= options.length)
      fail(
        'MDL3006',
        `choice #${k + 1} has ${options.length} option${options.length === 1 ? '' : 's'}; the assignment picks option ${d + 1}`,
        span,
      );
    return options[d]!;
  }

  /** `choices(options, k)`: a list of k independent choices over the same options. */
  private choices(args: readonly V[], kwargs: ReadonlyMap<string, V>, span: Span): V {
    const opts = args[0];
    const k = args[1] ?? kwargs.get('k');
    if (!opts || (opts.t !== 'list' && opts.t !== 'tuple') || !k || k.t !== 'int' || k.v < 0 || args.length > 2)
      return fail('MDL3004', 'choices() takes a list of options and a count: choices([a, b, c], 6)', span);
    return LIST(Array.from({ length: k.v }, () => this.choice([opts], new Map(), span)));
  }

  private bindModelParam(
    p: Definition['params'][number],
    frame: Frame,
    builder: GraphBuilder,
    opts: ElaborateOptions,
  ): void {
    const dtype = p.type ? DTYPES[p.type.name] : undefined;
    if (dtype) {
      if (!p.type!.dims)
        fail(
          'MDL3011',
          `model input \`${p.name}\` needs a shape, e.g. \`${p.name}: ${p.type!.name}[B, 3, 32, 32]\``,
          p.type!.span,
        );
      const shape = p.type!.dims!.map((d) => {
        // A bare name that is not a known constant declares a symbolic dimension.
        if (d.kind === 'name' && this.lookup(d.name, frame) === undefined) {
          builder.addSymbol(d.name);
          frame.vars.set(d.name, { t: 'sym', name: d.name });
          return d.name;
        }
        const v = this.eval(d, frame);
        if (v.t === 'sym') return v.name;
        if (v.t !== 'int' || v.v <= 0)
          fail('MDL3011', `a dimension must be a positive int or a symbol, got ${brief(v)}`, d.span);
        return v.v;
      });
      frame.vars.set(p.name, { t: 'tensor', id: builder.addInput(p.name, { shape, dtype }) });
      return;
    }
    const given = opts.args?.get(p.name);
    if (given !== undefined) {
      this.checkType(p.type, given, p.name, p.span, frame);
      frame.vars.set(p.name, given);
      return;
    }
    if (!p.default)
      fail('MDL3002', `model parameter \`${p.name}\` has no default value`, p.span, {
        hint: `give it one: \`${p.name}: int = 10\``,
      });
    const v = this.eval(p.default, frame);
    this.checkType(p.type, v, p.name, p.span, frame);
    frame.vars.set(p.name, v);
  }

  // ---------------------------------------------------------------- statements

  /** Runs statements; returns the value of a `return`, or undefined when none ran. */
  private execBody(stmts: readonly Stmt[], frame: Frame): V | undefined {
    for (const s of stmts) {
      const r = this.execStmt(s, frame);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  private execStmt(s: Stmt, frame: Frame): V | undefined {
    try {
      // Loop iterations alone do not bound the work: 100,000 iterations of a 1,000-line body ran for minutes.
      if (++spent.statements > LIMITS.statements)
        abort(`more than ${formatLimit(LIMITS.statements)} statements executed in one model`, s.span);
      switch (s.kind) {
        case 'assign': {
          if ((frame.space || frame.train) && s.targets.length === 1 && s.targets[0]!.name === 'model') {
            const ref = this.modelRef(s.value, frame);
            if (frame.space) frame.space.model = ref;
            else frame.train!.model = ref;
            return undefined;
          }
          const hint = s.targets.length === 1 ? s.targets[0]!.name : undefined;
          const v = this.eval(s.value, frame, hint);
          if (s.targets.length === 1) frame.vars.set(s.targets[0]!.name, v);
          else
            this.destructure(
              s.targets.map((t) => ({ kind: 'name' as const, name: t.name, span: t.span })),
              v,
              frame,
              s.value.span,
            );
          return undefined;
        }
        case 'for': {
          const it = this.eval(s.iter, frame);
          if (it.t === 'poison') return undefined;
          if (it.t !== 'list' && it.t !== 'tuple')
            fail(
              'MDL3004',
              `a for loop needs a list, tuple or range() known at compile time, got ${typeName(it)}`,
              s.iter.span,
            );
          spent.unrolled += it.items.length;
          if (spent.unrolled > LIMITS.unrolled)
            abort(
              `more than ${formatLimit(LIMITS.unrolled)} loop iterations unrolled in one model (this loop adds ${formatLimit(it.items.length)})`,
              s.iter.span,
            );
          for (const item of it.items) {
            if (s.patterns.length === 1) this.bindPattern(s.patterns[0]!, item, frame, s.iter.span);
            else this.destructure(s.patterns, item, frame, s.iter.span);
            const r = this.execBody(s.body, frame);
            if (r !== undefined) return r;
          }
          return undefined;
        }
        case 'if': {
          const c = this.eval(s.cond, frame);
          if (c.t === 'poison') return undefined;
          if (c.t !== 'bool')
            fail('MDL6004', `an if condition must be a bool, got ${typeName(c)} ${brief(c)}`, s.cond.span);
          if (c.v) return this.execBody(s.then, frame);
          return s.else ? this.execBody(s.else, frame) : undefined;
        }
        case 'return': {
          const vs = s.values.map((e) => this.eval(e, frame));
          return vs.length === 1 ? vs[0]! : TUPLE(vs);
        }
        case 'freeze':
          if (frame.train?.kind !== 'train')
            return fail('MDL3012', '`freeze` is allowed only in a `train` section', s.span);
          for (const p of s.patterns) frame.train.freeze.push({ pattern: this.eval(p, frame), span: p.span });
          return undefined;
        case 'backward':
          if (frame.train?.kind !== 'train')
            return fail('MDL3012', '`backward` is allowed only in a `train` section', s.span);
          frame.train.backward.push({
            selector: this.eval(s.selector, frame),
            strategy: this.eval(s.strategy, frame),
            span: s.span,
          });
          return undefined;
        case 'assert': {
          const c = this.eval(s.cond, frame);
          if (c.t === 'poison') return undefined;
          if (c.t !== 'bool') fail('MDL6004', `an assert condition must be a bool, got ${typeName(c)}`, s.cond.span);
          if (!c.v) {
            const m = s.message ? brief(this.eval(s.message, frame)) : 'assertion failed';
            fail('MDL6007', m, s.cond.span);
          }
          return undefined;
        }
      }
    } catch (e) {
      if (e instanceof Abort) {
        if (!e.recorded) this.record(e, frame);
        e.recorded = true;
        throw e;
      }
      if (isStackOverflow(e)) {
        const a = new Abort(
          diag(
            'MDL1007',
            'this statement nests too deeply to evaluate (blocks called inside deep expressions)',
            s.span,
          ),
        );
        this.record(a, frame);
        a.recorded = true;
        throw a;
      }
      this.record(e, frame);
      // A statement failing again and again (in a long loop) reports nothing new: past the
      // budget, elaboration stops (every distinct error has been reported).
      if (++spent.failures > LIMITS.failures) {
        const a = new Abort(diag('MDL6010', 'too many failed statements', s.span));
        a.recorded = true;
        throw a;
      }
      // Every name the failed statement would have bound is poisoned, so later uses stay
      // silent instead of reporting "unknown name" as a consequence of this error.
      for (const n of boundNames(s)) frame.vars.set(n, POISON);
      if (s.kind === 'return') return POISON;
      return undefined;
    }
  }

  private destructure(patterns: readonly Pattern[], v: V, frame: Frame, span: Span): void {
    if (v.t === 'poison') {
      for (const p of patterns) this.bindPattern(p, POISON, frame, span);
      return;
    }
    if (v.t !== 'tuple' && v.t !== 'list')
      fail('MDL3007', `cannot unpack ${typeName(v)} into ${patterns.length} names`, span);
    if (v.items.length !== patterns.length)
      fail(
        'MDL3007',
        `cannot unpack ${v.items.length} value${v.items.length === 1 ? '' : 's'} into ${patterns.length} names`,
        span,
      );
    patterns.forEach((p, i) => this.bindPattern(p, v.items[i]!, frame, span));
  }

  private bindPattern(p: Pattern, v: V, frame: Frame, span: Span): void {
    if (p.kind === 'name') frame.vars.set(p.name, v);
    else this.destructure(p.items, v, frame, span);
  }

  /** Turns a thrown MdlError into a diagnostic with the block-call context as notes. */
  private record(e: unknown, frame: Frame): void {
    if (!(e instanceof MdlError)) throw e;
    if (e instanceof Abort && e.recorded) return;
    frame.failed = true;
    const d = e.diagnostic;
    // The call chain, innermost first; repeated call sites (recursion, loops) are folded, and
    // the outermost call, the one in the user's model, is always kept.
    const chain: CallSite[] = [];
    for (const c of [...frame.calls].reverse())
      if (!chain.some((x) => x.span.start === c.span.start && x.span.file === c.span.file)) chain.push(c);
    const shown = chain.length > 4 ? [...chain.slice(0, 3), chain[chain.length - 1]!] : chain;
    const notes = [...d.notes, ...shown.map((c) => ({ message: `in block \`${c.block}\` called here`, span: c.span }))];
    this.diagnostics.add({ ...d, notes });
  }

  // ---------------------------------------------------------------- expressions

  private lookup(name: string, frame: Frame): V | undefined {
    return (
      frame.vars.get(name) ??
      frame.module.globals.get(name) ??
      this.sectionBuiltins?.get(name) ??
      opValue(name) ??
      BUILTINS.get(name) ??
      this.spaceBuiltins.get(name)
    );
  }

  private visibleNames(frame: Frame): string[] {
    return [
      ...frame.vars.keys(),
      ...frame.module.globals.keys(),
      ...(this.sectionBuiltins?.keys() ?? []),
      ...BUILTINS.keys(),
      ...this.spaceBuiltins.keys(),
    ];
  }

  /** Evaluates an expression; `hint` is the name it is bound to, used to name the layer. */
  eval(e: Expr, frame: Frame, hint?: string): V {
    switch (e.kind) {
      case 'int':
        return INT(e.value);
      case 'float':
        return FLOAT(e.value);
      case 'bool':
        return { t: 'bool', v: e.value };
      case 'none':
        return NONE;
      case 'string': {
        let s = '';
        for (const part of e.parts) {
          if (typeof part === 'string') s += part;
          else {
            const v = this.eval(part, frame);
            if (v.t === 'poison') return POISON;
            s += show(v);
            withinBudget(STR(s), e.span);
          }
        }
        return STR(s);
      }
      case 'name': {
        const v = this.lookup(e.name, frame);
        if (v !== undefined) return v;
        const py = PYTHON_SPELLINGS[e.name];
        if (py)
          fail('MDL2001', `unknown name \`${e.name}\``, e.span, {
            hint: `did you mean \`${py}\`? mdl spells it in lower case`,
          });
        const dym = didYouMean(e.name, [...this.visibleNames(frame), ...OP_NAMES]);
        return fail('MDL2001', `unknown name \`${e.name}\``, e.span, dym ? { hint: dym } : {});
      }
      case 'paren':
        return this.eval(e.inner, frame, hint);
      case 'list':
        return withinBudget(LIST(e.items.map((x) => this.eval(x, frame))), e.span);
      case 'tuple':
        return withinBudget(TUPLE(e.items.map((x) => this.eval(x, frame))), e.span);
      case 'if': {
        const c = this.eval(e.cond, frame);
        if (c.t === 'poison') return POISON;
        if (c.t !== 'bool')
          fail('MDL6004', `an if condition must be a bool, got ${typeName(c)} ${brief(c)}`, e.cond.span);
        return this.eval(c.v ? e.then : e.else, frame, hint);
      }
      case 'unary': {
        const a = this.eval(e.operand, frame);
        if (a.t === 'poison') return POISON;
        if (a.t === 'tensor') {
          if (e.op === '+') return a;
          if (e.op === '-')
            return this.applyOp(getOp('neg')!, [{ v: a, span: e.operand.span }], new Map(), e.span, frame, hint);
        }
        return unaryOp(e.op, a, e.span);
      }
      case 'binary':
        return this.evalBinary(e, frame, hint);
      case 'member':
        return this.evalMember(e, frame);
      case 'index':
        return this.evalIndex(e, frame, hint);
      case 'call':
        return this.evalCall(e, frame, hint);
    }
  }

  private evalBinary(e: Extract<Expr, { kind: 'binary' }>, frame: Frame, hint?: string): V {
    if (e.op === 'and' || e.op === 'or') {
      const a = this.eval(e.left, frame);
      if (a.t === 'poison') return POISON;
      if (a.t !== 'bool') fail('MDL6004', `\`${e.op}\` needs bools, got ${typeName(a)}`, e.left.span);
      if (e.op === 'and' ? !a.v : a.v) return a;
      const b = this.eval(e.right, frame);
      if (b.t === 'poison') return POISON;
      if (b.t !== 'bool') fail('MDL6004', `\`${e.op}\` needs bools, got ${typeName(b)}`, e.right.span);
      return b;
    }
    const a = this.eval(e.left, frame);
    const b = this.eval(e.right, frame);
    if (a.t === 'poison' || b.t === 'poison') return POISON;
    if (a.t === 'tensor' || b.t === 'tensor') {
      const opName = TENSOR_OPS[e.op];
      if (!opName)
        fail('MDL3009', `operator \`${e.op}\` is not defined for tensors`, e.opSpan, {
          hint: 'tensor operators are + - * / and @ (matmul)',
        });
      const ta = this.asTensor(a, e.left.span, e.opSpan, frame);
      const tb = this.asTensor(b, e.right.span, e.opSpan, frame);
      return this.applyOp(getOp(opName)!, [ta, tb], new Map(), e.span, frame, hint);
    }
    return binaryOp(e.op, a, b, e.opSpan);
  }

  /** A number next to a tensor becomes a scalar constant, broadcast by the op. */
  private asTensor(v: V, span: Span, opSpan: Span, frame: Frame): ArgValue {
    if (v.t === 'tensor') return { v, span };
    if (isNumber(v)) {
      const c = this.applyOp(getOp('constant')!, [{ v: FLOAT(v.v), span }], new Map(), span, frame, 'const');
      return { v: c, span };
    }
    return fail('MDL3009', `cannot combine a tensor with ${typeName(v)} ${brief(v)}`, opSpan);
  }

  private evalMember(e: Extract<Expr, { kind: 'member' }>, frame: Frame): V {
    const t = this.eval(e.target, frame);
    if (t.t === 'poison') return POISON;
    if (t.t === 'ns') {
      const v = t.module.lookup(e.name);
      if (v === undefined || !(t.module as ModuleEnv).own.has(e.name)) {
        const dym = didYouMean(e.name, t.module.names());
        fail(
          'MDL2009',
          `module \`${t.alias}\` (${t.module.path}) has no definition \`${e.name}\``,
          e.nameSpan,
          dym ? { hint: dym } : {},
        );
      }
      return v;
    }
    if (t.t === 'tensor') {
      const ty = this.b(e.span).type(t.id);
      this.readsDims();
      if (e.name === 'shape')
        return TUPLE(ty.shape.map((d) => (typeof d === 'number' ? INT(d) : { t: 'sym', name: d })));
      if (e.name === 'rank') return INT(ty.shape.length);
      if (e.name === 'dtype') return STR(ty.dtype);
      const dym = didYouMean(e.name, ['shape', 'rank', 'dtype']);
      return fail('MDL2009', `a tensor has no member \`${e.name}\``, e.nameSpan, {
        hint: dym ?? 'tensors have .shape, .rank and .dtype',
      });
    }
    return fail('MDL2009', `${typeName(t)} has no member \`${e.name}\``, e.nameSpan);
  }

  private evalIndex(e: Extract<Expr, { kind: 'index' }>, frame: Frame, hint?: string): V {
    const t = this.eval(e.target, frame);
    if (t.t === 'poison') return POISON;
    if (t.t === 'tensor') return this.indexTensor(t, e.subscripts, frame, e.span, hint);
    if (e.subscripts.length !== 1)
      fail('MDL3009', `a ${typeName(t)} takes one index, got ${e.subscripts.length}`, e.span);
    const sub = e.subscripts[0]!;
    const items: readonly V[] | undefined = t.t === 'list' || t.t === 'tuple' ? t.items : undefined;
    const str = t.t === 'str' ? t.v : undefined;
    if (items === undefined && str === undefined) return fail('MDL3009', `${typeName(t)} cannot be indexed`, e.span);
    const len = items ? items.length : str!.length;
    if (sub.kind === 'at') {
      const i = this.eval(sub.value, frame);
      if (i.t === 'poison') return POISON;
      if (i.t !== 'int') fail('MDL3004', `an index must be an int, got ${typeName(i)}`, sub.span);
      const k = i.v < 0 ? i.v + len : i.v;
      if (k < 0 || k >= len)
        fail('MDL6003', `index ${i.v} is out of range for a ${typeName(t)} of length ${len}`, sub.span);
      return items ? items[k]! : STR(str![k]!);
    }
    const [a, b, s] = this.sliceBounds(sub, len, frame);
    const idx: number[] = [];
    for (let k = a; s > 0 ? k < b : k > b; k += s) idx.push(k);
    if (str !== undefined) return STR(idx.map((k) => str[k]).join(''));
    const picked = idx.map((k) => items![k]!);
    return t.t === 'list' ? LIST(picked) : TUPLE(picked);
  }

  /** Python slice bounds for a sequence of length `len` (compile-time sequences). */
  private sliceBounds(sub: Extract<Subscript, { kind: 'slice' }>, len: number, frame: Frame): [number, number, number] {
    const intOr = (x: Expr | undefined, d: number | undefined): number | undefined => {
      if (!x) return d;
      const v = this.eval(x, frame);
      if (v.t === 'none') return d;
      if (v.t !== 'int') fail('MDL3004', `slice bounds must be ints, got ${typeName(v)}`, x.span);
      return v.v;
    };
    const step = intOr(sub.step, 1)!;
    if (step === 0) fail('MDL3006', 'slice step must not be zero', sub.span);
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const norm = (v: number | undefined, d: number) =>
      v === undefined ? d : v < 0 ? clamp(v + len, step > 0 ? 0 : -1, len) : clamp(v, 0, step > 0 ? len : len - 1);
    return [
      norm(intOr(sub.start, undefined), step > 0 ? 0 : len - 1),
      norm(intOr(sub.end, undefined), step > 0 ? len : -1),
      step,
    ];
  }

  /** `x[:, 0]`, `x[:, :, ::2]`: integer subscripts select (drop the axis), slices slice. */
  private indexTensor(t: V & { t: 'tensor' }, subs: readonly Subscript[], frame: Frame, span: Span, hint?: string): V {
    const rank = this.b(span).type(t.id).shape.length;
    if (subs.length > rank) fail('MDL4008', `${subs.length} subscripts for a tensor of rank ${rank}`, span);
    let cur: V = t;
    let axis = 0;
    const last = subs.length - 1;
    subs.forEach((sub, i) => {
      const nm = i === last ? hint : undefined;
      if (sub.kind === 'at') {
        const idx = this.eval(sub.value, frame);
        cur = this.applyOp(
          getOp('select')!,
          [
            { v: cur, span },
            { v: INT(axis), span },
            { v: idx, span: sub.span },
          ],
          new Map(),
          sub.span,
          frame,
          nm,
        );
        return;
      }
      if (sub.start || sub.end || sub.step) {
        const kw = new Map<string, ArgValue>([['axis', { v: INT(axis), span: sub.span }]]);
        if (sub.start) kw.set('start', { v: this.eval(sub.start, frame), span: sub.start.span });
        if (sub.end) kw.set('end', { v: this.eval(sub.end, frame), span: sub.end.span });
        if (sub.step) kw.set('step', { v: this.eval(sub.step, frame), span: sub.step.span });
        cur = this.applyOp(getOp('slice')!, [{ v: cur, span }], kw, sub.span, frame, nm);
      }
      axis++;
    });
    return cur;
  }

  private evalCall(e: Extract<Expr, { kind: 'call' }>, frame: Frame, hint?: string): V {
    let callee: V;
    if (e.callee.kind === 'name') {
      const found = this.lookup(e.callee.name, frame);
      if (found === undefined) {
        const blocks = [...frame.module.globals.entries()].filter(([, v]) => v.t === 'def').map(([k]) => k);
        const dym = didYouMean(e.callee.name, [...OP_NAMES, ...blocks, ...BUILTINS.keys()]);
        return fail('MDL2002', `unknown op or block \`${e.callee.name}\``, e.callee.span, {
          hint: dym ?? 'run `mdl ops` to list the built-in ops',
        });
      }
      callee = found;
    } else callee = this.eval(e.callee, frame);
    // Calling a hole of a candidate trace is not a read of it: the call is a step (trace.ts).
    const hole = this.tracing?.holes.get(callee);
    if (hole) callee = hole.value;
    if (callee.t === 'poison') return POISON;

    const positional: ArgValue[] = [];
    // Most calls have no keyword arguments; they share one empty map (nothing mutates it).
    const keywords = e.args.some((a) => a.name !== undefined) ? new Map<string, ArgValue>() : NO_KEYWORDS;
    for (const a of e.args) {
      const v = this.eval(a.value, frame);
      if (a.name === undefined) {
        if (keywords.size > 0) fail('MDL3003', 'a positional argument cannot follow keyword arguments', a.span);
        positional.push({ v, span: a.span });
      } else {
        if (keywords.has(a.name))
          fail('MDL3005', `${calleeLabel(e.callee)}() got argument \`${a.name}\` twice`, a.nameSpan ?? a.span);
        keywords.set(a.name, { v, span: a.value.span, ...(a.nameSpan ? { nameSpan: a.nameSpan } : {}) });
      }
    }
    let explicit: string | undefined;
    if (e.layerName) {
      const n = this.eval(e.layerName, frame);
      if (n.t === 'poison') return POISON;
      explicit = show(n);
      // `as ""` on a block call inlines it: its layers join the caller's names (a stem, say).
      const inline = explicit === '' && callee.t === 'def';
      if (!inline && !/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(explicit))
        fail('MDL3006', `invalid layer name "${explicit}"`, e.layerName.span, {
          hint: 'layer names are parts of letters, digits and _ joined by dots',
        });
    }

    if (hole) return this.callHole(hole.path, callee, positional, keywords, e, frame, hint, explicit);
    return this.applyCallee(callee, positional, keywords, e, frame, hint, explicit);
  }

  /** A call of a hole while a candidate trace is recorded: made, and recorded as a step. */
  private callHole(
    path: readonly (string | number)[],
    callee: V,
    positional: ArgValue[],
    keywords: ReadonlyMap<string, ArgValue>,
    e: Extract<Expr, { kind: 'call' }>,
    frame: Frame,
    hint: string | undefined,
    explicit: string | undefined,
  ): V {
    const tracing = this.tracing!;
    const b = this.b(e.span);
    // Without its own name, the layer would be named after the callee.
    if (!explicit) tracing.refused ??= 'a chosen op or block called without `as "name"`';
    if ([...positional, ...keywords.values()].some((a) => holdsHole(a.v, tracing)))
      tracing.refused ??= 'a choice passed to a chosen op or block';
    if (callsBuiltin(callee, positional)) tracing.refused ??= 'a chosen compile-time function';
    const first = b.nodeCount;
    const valuesBefore = b.valueCount;
    const spentBefore = { ...spent };
    const result = this.applyCallee(callee, positional, keywords, e, frame, hint, explicit);
    addTo(tracing.holeSpent, spentSince(spentBefore));
    tracing.calls.push({
      path,
      site: this.holeSite(positional, keywords, e, frame, hint, explicit),
      positional,
      keywords,
      first,
      end: b.nodeCount,
      valuesBefore,
      result,
    });
    return result;
  }

  /**
   * The site of a hole call: the one already made for the same call, name, scope, depth and
   * arguments (tensors by type), so that its kept expansions serve every trace that calls there.
   */
  private holeSite(
    positional: readonly ArgValue[],
    keywords: ReadonlyMap<string, ArgValue>,
    e: Extract<Expr, { kind: 'call' }>,
    frame: Frame,
    hint: string | undefined,
    explicit: string | undefined,
  ): HoleSite {
    const make = (): HoleSite => ({
      module: frame.module,
      call: e,
      prefix: frame.prefix,
      scope: frame.scope,
      hint,
      explicit,
      depth: this.depth,
      kept: new Map(),
    });
    const values = [...positional.map((a) => a.v), ...[...keywords].map(([k, a]) => TUPLE([STR(k), a.v]))];
    const args = callKey(e, values, (v) => this.builder!.type(v));
    if (!args) return make();
    const key = [args.key, frame.module.path, frame.prefix, explicit, hint, this.depth, ...frame.scope].join('\0');
    let site = this.holeSites.get(key);
    if (!site) this.holeSites.set(key, (site = make()));
    return site;
  }

  /** Applies an op, block or builtin to evaluated arguments, as the call `e` does. */
  private applyCallee(
    callee: V,
    positional: ArgValue[],
    keywords: ReadonlyMap<string, ArgValue>,
    e: Extract<Expr, { kind: 'call' }>,
    frame: Frame,
    hint: string | undefined,
    explicit: string | undefined,
  ): V {
    if (callee.t === 'op' && callsBuiltin(callee, positional)) callee = BUILTINS.get(callee.op.name)!;
    switch (callee.t) {
      case 'op':
        return this.applyOp(callee.op, positional, keywords, e.span, frame, hint, explicit, e.layerName?.span);
      case 'def':
        if (callee.def.kind !== 'model' && callee.def.kind !== 'block')
          fail(
            'MDL3008',
            `${callee.def.kind} \`${callee.def.name}\` is a section, not something to call`,
            e.callee.span,
          );
        return this.callBlock(callee.def, callee.module as ModuleEnv, positional, keywords, e, frame, hint, explicit);
      case 'builtin': {
        if (explicit)
          fail('MDL3006', `\`as\` names a layer; ${callee.name}() is a compile-time function`, e.layerName!.span);
        if ([...positional, ...keywords.values()].some((a) => a.v.t === 'poison')) return POISON;
        return withinBudget(
          callee.fn(
            positional.map((p) => p.v),
            keywords.size === 0 ? NO_KWARGS : new Map([...keywords].map(([k, a]) => [k, a.v])),
            e.span,
          ),
          e.span,
        );
      }
      default:
        return fail('MDL3008', `${typeName(callee)} ${brief(callee)} is not callable`, e.callee.span);
    }
  }

  // ---------------------------------------------------------------- layers

  private b(span: Span): GraphBuilder {
    if (!this.builder)
      fail('MDL3009', 'tensors exist only inside a model or block', span, {
        hint: 'top-level constants must be compile-time values',
      });
    return this.builder;
  }

  /** Refuses a graph past the layer budget. */
  private checkLayers(span: Span): void {
    if (this.builder!.nodeCount + (this.segments?.folded ?? 0) >= LIMITS.layers)
      abort(`more than ${formatLimit(LIMITS.layers)} layers in one model`, span);
  }

  /** Chooses the layer's local name: explicit, else the bound variable, else the op/block name. */
  private layerName(
    frame: Frame,
    fallback: string,
    hint: string | undefined,
    explicit: string | undefined,
    span: Span,
  ): string {
    const full = (local: string) => qualified(frame.prefix, local);
    if (explicit !== undefined) {
      if (frame.used.has(explicit) || this.builder!.hasNodeName(full(explicit))) {
        const prev = this.builder!.nodeByName(full(explicit));
        fail(
          'MDL2004',
          `layer name \`${full(explicit)}\` is already used`,
          span,
          prev ? { notes: [{ message: 'first used here', span: prev.span }] } : {},
        );
      }
      frame.used.add(explicit);
      return full(explicit);
    }
    const base = hint ?? fallback;
    // Names are only ever taken, so the search for `base_k` resumes where the last one ended:
    // naming n layers `relu` costs O(n), not O(n²). The counters live as long as the names.
    let next = suffixes.get(frame.used);
    if (!next) suffixes.set(frame.used, (next = new Map()));
    let k = next.get(base) ?? 0;
    let local = k === 0 ? base : `${base}_${k}`;
    while (frame.used.has(local) || this.builder!.hasNodeName(full(local))) {
      // Taken by a layer of another call: a chosen call's layers could be named otherwise.
      if (this.tracing && !frame.used.has(local)) this.tracing.refused ??= 'an automatic name met a taken one';
      local = `${base}_${++k}`;
    }
    next.set(base, k);
    frame.used.add(local);
    return full(local);
  }

  private applyOp(
    op: OpDef,
    positional: readonly ArgValue[],
    keywords: ReadonlyMap<string, ArgValue>,
    span: Span,
    frame: Frame,
    hint?: string,
    explicit?: string,
    nameSpan?: Span,
  ): V {
    const builder = this.b(span);
    const share = keywords.get('share');
    let kw = keywords;
    if (share) {
      const rest = new Map(keywords);
      rest.delete('share');
      kw = rest;
    }
    const bound = bindOpCall(op, positional, kw, span);
    if (bound === 'poison') return POISON;
    const inputs = bound.tensors.map((id) => builder.type(id));
    this.checkLayers(span);
    const name = this.layerName(frame, op.name, hint, explicit, nameSpan ?? span);
    let outs: readonly TensorType[];
    let specs;
    try {
      outs = op.infer(inputs, bound.attrs);
      specs = op.params?.(inputs, bound.attrs) ?? [];
    } catch (err) {
      if (err instanceof OpError)
        fail(err.code, `${err.message} (in layer \`${name}\`)`, span, err.hint ? { hint: err.hint } : {});
      throw err;
    }
    // Element counts are exact or refused: a tensor past 2^53 − 1 elements has no exact size.
    for (const t of [...outs, ...specs]) {
      const n = knownElements(t.shape);
      if (!Number.isSafeInteger(n))
        fail(
          'MDL6009',
          `layer \`${name}\` would have a tensor ${formatShape(t.shape)} of ${n.toExponential(3)} elements, beyond 2^53 − 1 where counts stop being exact`,
          span,
        );
    }
    let paramIds: ValueId[];
    if (share) {
      this.shareUses++;
      if (share.v.t !== 'str')
        fail('MDL3004', `share= takes the name of a layer, got ${typeName(share.v)}`, share.span);
      const target = builder.nodeByName(qualified(frame.prefix, share.v.v)) ?? builder.nodeByName(share.v.v);
      if (!target) {
        const dym = didYouMean(share.v.v, [...frame.used]);
        fail('MDL2007', `no layer \`${share.v.v}\` to share parameters with`, share.span, dym ? { hint: dym } : {});
      }
      const theirs = target.inputs.slice(target.dataInputs);
      const ok =
        target.op === op.name &&
        theirs.length === specs.length &&
        specs.every((s, i) => sameShape(builder.type(theirs[i]!).shape, s.shape));
      const shapes = (xs: readonly (readonly (number | string)[])[]) => xs.map((x) => formatShape(x)).join(', ');
      if (!ok)
        fail(
          'MDL3010',
          `layer \`${name}\` (${op.name}, parameters ${shapes(specs.map((s) => s.shape))}) cannot share the parameters of \`${target.name}\` (${target.op}, parameters ${shapes(theirs.map((t) => builder.type(t).shape))})`,
          share.span,
          {
            notes: [{ message: `\`${target.name}\` is defined here`, span: target.span }],
          },
        );
      paramIds = [...theirs];
    } else {
      paramIds = specs.map((s) => builder.addParam(paramName(name, s), s.shape, 'f32', s.init, s.buffer ?? false));
    }
    const node = builder.addNode(
      op.name,
      name,
      [...bound.tensors, ...paramIds],
      bound.tensors.length,
      outs,
      bound.attrs,
      span,
      frame.scope,
    );
    const vals: V[] = node.outputs.map((id) => ({ t: 'tensor', id }));
    return vals.length === 1 ? vals[0]! : TUPLE(vals);
  }

  private callBlock(
    def: Definition,
    module: ModuleEnv,
    positional: readonly ArgValue[],
    keywords: ReadonlyMap<string, ArgValue>,
    call: Extract<Expr, { kind: 'call' }>,
    caller: Frame,
    hint: string | undefined,
    explicit: string | undefined,
  ): V {
    this.b(call.span);
    if (this.depth >= MAX_DEPTH)
      fail('MDL6006', `blocks nested more than ${MAX_DEPTH} deep (does \`${def.name}\` call itself?)`, call.span);
    if (++spent.expansions > LIMITS.expansions)
      abort(`more than ${formatLimit(LIMITS.expansions)} block calls expanded in one model`, call.span);
    let shape = blockShapes.get(def);
    if (!shape) {
      shape = {
        sig: `${def.name}(${def.params.map((p) => p.name + (p.default ? '=…' : '')).join(', ')})`,
        specs: def.params.map((p) => ({ name: p.name, required: p.default === undefined })),
      };
      blockShapes.set(def, shape);
    }
    const { sig } = shape;
    const matched = matchArgs(def.name, shape.specs, positional, keywords, call.span, sig);
    if (matched.some((m) => m !== undefined && !Array.isArray(m) && m.v.t === 'poison')) return POISON;
    const inline = explicit === '';
    const name = inline
      ? caller.prefix
      : this.layerName(caller, def.name, hint, explicit, call.layerName?.span ?? call.span);
    const b = this.builder!;
    const args = matched.map((m) => (m as ArgValue | undefined)?.v);
    // The body making this call is being recorded (generic.ts): it hears of the call.
    const parent = inline ? undefined : this.recordings[this.recordings.length - 1];
    const firstNode = b.nodeCount;
    const firstValue = b.valueCount;
    const key =
      this.memoise && !inline && !this.inSection
        ? callKey(def, args, (v) => b.type(v), false, this.tracing?.holes)
        : undefined;
    const r = this.expandCall(def, module, matched, call, caller, name, inline, key, args);
    if (parent) {
      if (key && r.t !== 'poison')
        parent.children.push({
          site: { def, module, call, spans: matched.map((m) => (m as ArgValue | undefined)?.span) },
          args,
          name,
          first: firstNode,
          end: b.nodeCount,
          valuesBefore: firstValue,
          result: r,
        });
      else parent.typed = true;
    }
    return r;
  }

  /**
   * A block whose expansion (from `firstNode` on) made hole calls, while a trace is recorded:
   * with fewer than two layers of its own, another choice could leave it one parameter-free
   * layer, which takes the call's name; the trace could not say so.
   */
  private checkAroundHoles(firstNode: number): void {
    const tracing = this.tracing!;
    let inHoles = 0;
    let holes = 0;
    for (let k = tracing.calls.length - 1; k >= 0 && tracing.calls[k]!.first >= firstNode; k--) {
      inHoles += tracing.calls[k]!.end - tracing.calls[k]!.first;
      holes++;
    }
    if (holes > 0 && this.builder!.nodeCount - firstNode - inHoles < 2)
      tracing.refused ??= 'a block around a chosen call has fewer than two layers of its own';
  }

  /** A block call, replayed (memo.ts), instantiated (generic.ts) or interpreted. */
  private expandCall(
    def: Definition,
    module: ModuleEnv,
    matched: ReturnType<typeof matchArgs>,
    call: Extract<Expr, { kind: 'call' }>,
    caller: Frame,
    name: string,
    inline: boolean,
    key: CallKey | undefined,
    args: readonly (V | undefined)[],
  ): V {
    const b = this.builder!;
    // In a coarse instance, a top-level call with one tensor argument is folded (segments.ts).
    const top = key && key.slots.length === 1 && this.depth === 0 ? this.segments : undefined;
    const firstNode = b.nodeCount;
    const firstValue = b.valueCount;
    const firstParam = b.paramCount;
    /** Keeps what a call expanded to as its template, folded into a segment where it is one. */
    const keep = (key: CallKey, r: V): V => {
      const t = recordTemplate(b, firstNode, name, caller.scope, key.slots, r);
      if (t) this.memo.set(key.key, t);
      const folded = top && t && segmentOf(t, b.type(key.slots[0]!));
      if (!folded) return r;
      // The expansion was only needed to record it: the graph keeps the segment instead.
      top!.cache.set(key.key, folded);
      b.truncate(firstNode, firstValue, firstParam);
      return this.placeSegment(top!, folded, name, caller.scope, key.slots[0]!, call.span);
    };
    let genericKey: string | undefined;
    if (key) {
      // A call seen before with the same arguments and input types replays its expansion.
      const seen = top?.cache.get(key.key);
      if (seen) return this.placeSegment(top!, seen, name, caller.scope, key.slots[0]!, call.span);
      const t = this.memo.get(key.key);
      const folded = top && t && segmentOf(t, b.type(key.slots[0]!));
      if (folded) {
        top!.cache.set(key.key, folded);
        return this.placeSegment(top!, folded, name, caller.scope, key.slots[0]!, call.span);
      }
      const replayed = t && replayTemplate(b, t, name, caller.scope, key.slots);
      if (replayed) {
        this.checkLayers(call.span);
        return replayed;
      }
      // One seen at other widths whose body did not look at them is instantiated at these.
      if (!t) {
        genericKey = callKey(def, args, (v) => b.type(v), true, this.tracing?.holes)?.key;
        const g = genericKey === undefined ? undefined : this.generic.get(genericKey);
        const made =
          g &&
          instantiateGeneric(b, g, name, caller.scope, key.slots, (site, a, n, sc) => this.expandAt(site, a, n, sc));
        if (made) {
          this.expansions.instantiated++;
          this.checkLayers(call.span);
          return keep(key, made);
        }
      }
    }
    const marks = { diagnostics: this.diagnostics.items.length, share: this.shareUses, choice: this.choiceUses };
    const frame: Frame = {
      vars: new Map(),
      module,
      prefix: name,
      scope: inline ? caller.scope : [...caller.scope, name],
      used: inline ? caller.used : new Set(),
      calls: [...caller.calls, { block: def.name, span: call.span }],
      failed: false,
    };
    this.expansions.interpreted++;
    const recording: Recording<ChildSite> | undefined = key ? { children: [], typed: false } : undefined;
    if (recording) this.recordings.push(recording);
    this.depth++;
    try {
      def.params.forEach((p, i) => {
        const m = matched[i] as ArgValue | undefined;
        const v = m ? m.v : this.eval(p.default!, frame);
        this.checkType(p.type, v, p.name, m?.span ?? p.span, frame, def.name);
        frame.vars.set(p.name, v);
      });
      const r = this.execBody(def.body, frame);
      if (r === undefined) {
        if (frame.failed) return POISON;
        fail('MDL2010', `block \`${def.name}\` ended without \`return\``, def.nameSpan, {
          notes: [{ message: 'called here', span: call.span }],
          hint: 'every path through a block must end with `return value`',
        });
      }
      if (this.tracing && !inline) this.checkAroundHoles(firstNode);
      // A block that amounts to one parameter-free op (an activation chosen by name, say) is
      // that op: give the node the call's name instead of `call.relu`.
      if (!inline && b.nodeCount === firstNode + 1) {
        const n = b.node(firstNode);
        if (n.inputs.length === n.dataInputs && r.t === 'tensor' && n.outputs.includes(r.id)) {
          b.renameNode(firstNode, name);
          // The node may be a called block's, renamed here: its steps would not say so.
          if (recording) recording.typed = true;
        }
      }
      const pure =
        !frame.failed &&
        this.diagnostics.items.length === marks.diagnostics &&
        this.shareUses === marks.share &&
        this.choiceUses === marks.choice;
      if (!key || !pure) return r;
      if (recording && !recording.typed && genericKey !== undefined) {
        const g = recordGeneric(b, firstNode, name, caller.scope, key.slots, recording.children, r);
        if (g) this.generic.set(genericKey, g);
      }
      return keep(key, r);
    } finally {
      if (recording) this.recordings.pop();
      this.depth--;
      if (frame.failed) caller.failed = true;
    }
  }

  /**
   * A call a generic template's body made, at the types of `args`: replayed, else interpreted
   * as the call itself would be; undefined where that reports anything (the caller is then
   * interpreted, and reports it in context).
   */
  private expandAt(
    site: ChildSite,
    args: readonly (V | undefined)[],
    name: string,
    scope: readonly string[],
  ): V | undefined {
    const b = this.builder!;
    const key = callKey(site.def, args, (v) => b.type(v));
    if (!key) return undefined;
    const t = this.memo.get(key.key);
    if (t) return replayTemplate(b, t, name, scope, key.slots);
    const frame: Frame = {
      vars: new Map(),
      module: site.module,
      prefix: '',
      scope,
      used: new Set(),
      calls: [],
      failed: false,
    };
    const matched = args.map((v, k) => (v === undefined ? undefined : { v, span: site.spans[k] ?? site.call.span }));
    const before = this.diagnostics.items.length;
    let r: V | undefined;
    this.depth++;
    try {
      r = this.expandCall(site.def, site.module, matched, site.call, frame, name, false, key, args);
    } catch (e) {
      if (!(e instanceof MdlError)) throw e;
    } finally {
      this.depth--;
    }
    if (r === undefined || r.t === 'poison' || frame.failed || this.diagnostics.items.length !== before) {
      this.diagnostics.items.splice(before);
      return undefined;
    }
    return r;
  }

  /** The body being recorded read a tensor's dims: its expansion depends on them (generic.ts). */
  private readsDims(): void {
    const r = this.recordings[this.recordings.length - 1];
    if (r) r.typed = true;
  }

  private placeSegment(
    rec: SegmentRecorder,
    s: SegmentTemplate,
    name: string,
    scope: readonly string[],
    slot: ValueId,
    span: Span,
  ): V {
    this.checkLayers(span);
    const node = this.builder!.addNode(SEGMENT_OP, name, [slot], 1, [s.outType], NO_ATTRS, span, scope);
    rec.segments.set(node.id, s);
    rec.folded += s.template.nodes.length - 1;
    return { t: 'tensor', id: node.outputs[0]! };
  }

  /** Checks a value against a parameter's declared type; tensor dims may bind names. */
  private checkType(type: TypeExpr | undefined, v: V, name: string, span: Span, frame: Frame, block?: string): void {
    if (!type || v.t === 'poison') return;
    const want = type.name;
    const who = block ? `${block}(): argument \`${name}\`` : `argument \`${name}\``;
    const declared = { notes: [{ message: `declared as \`${name}: ${typeText(type)}\``, span: type.span }] };
    const bad = () => fail('MDL3004', `${who} must be ${want}, got ${typeName(v)} ${repr(v)}`, span, declared);
    if (DTYPES[want]) {
      if (v.t !== 'tensor') bad();
      const ty = this.b(span).type((v as { id: ValueId }).id);
      if (want !== 'Tensor' && ty.dtype !== DTYPES[want])
        fail('MDL4009', `${who} must have dtype ${want}, got ${ty.dtype}`, span, declared);
      if (!type.dims) return;
      this.readsDims();
      if (type.dims.length !== ty.shape.length)
        fail(
          'MDL4008',
          `${who} must have rank ${type.dims.length}, got shape ${formatShape(ty.shape)}`,
          span,
          declared,
        );
      type.dims.forEach((d, i) => {
        const actual = ty.shape[i]!;
        const av: V = typeof actual === 'number' ? INT(actual) : { t: 'sym', name: actual };
        // An unbound name in a tensor type binds the actual dim: `x: Tensor[N, C, H, W]`.
        if (d.kind === 'name' && !frame.vars.has(d.name) && !frame.module.globals.has(d.name)) {
          frame.vars.set(d.name, av);
          return;
        }
        if (d.kind === 'name' && d.name === '_') return;
        const ev = this.eval(d, frame);
        if (ev.t === 'poison') return;
        if (!(ev.t === av.t && show(ev) === show(av)))
          fail(
            'MDL4001',
            `${who} has shape ${formatShape(ty.shape)}, but dim ${i} must be ${show(ev)}`,
            span,
            declared,
          );
      });
      return;
    }
    if (!SCALAR_TYPES.has(want))
      fail('MDL3004', `unknown type \`${want}\``, type.span, {
        hint: 'types are int, float, bool, string, list, tuple, any and Tensor[…]',
      });
    const ok =
      want === 'any' ||
      (want === 'int' && v.t === 'int') ||
      (want === 'float' && isNumber(v)) ||
      (want === 'bool' && v.t === 'bool') ||
      ((want === 'string' || want === 'str') && v.t === 'str') ||
      (want === 'list' && (v.t === 'list' || v.t === 'tuple')) ||
      (want === 'tuple' && (v.t === 'list' || v.t === 'tuple'));
    if (!ok) bad();
  }
}

function containsTensor(v: V): boolean {
  return v.t === 'tensor' || ((v.t === 'list' || v.t === 'tuple') && v.items.some(containsTensor));
}

function typeText(t: TypeExpr): string {
  return t.dims ? `${t.name}[…]` : t.name;
}

function calleeLabel(e: Expr): string {
  return e.kind === 'name' ? e.name : e.kind === 'member' ? e.name : 'call';
}

function opValue(name: string): V | undefined {
  const op = getOp(name);
  return op ? { t: 'op', op } : undefined;
}

/** A layer's full name: its local name under the prefix of the block call it is made in. */
function qualified(prefix: string, local: string): string {
  return prefix ? `${prefix}.${local}` : local;
}

/** The names a statement binds when it runs, including inside loops and branches. */
function boundNames(s: Stmt): string[] {
  const fromPattern = (p: Pattern): string[] => (p.kind === 'name' ? [p.name] : p.items.flatMap(fromPattern));
  switch (s.kind) {
    case 'assign':
      return s.targets.map((t) => t.name);
    case 'for':
      return [...s.patterns.flatMap(fromPattern), ...s.body.flatMap(boundNames)];
    case 'if':
      return [...s.then.flatMap(boundNames), ...(s.else ?? []).flatMap(boundNames)];
    default:
      return [];
  }
}

function findReturn(stmts: readonly Stmt[]): Extract<Stmt, { kind: 'return' }> | undefined {
  for (const s of stmts) if (s.kind === 'return') return s;
  return undefined;
}

export type { Diagnostic };
