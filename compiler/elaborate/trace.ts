// Candidate traces: one interpretation of a search space's model serves every candidate whose
// choices it only called.
//
// A space's candidates differ in the values of the model's arguments that its choices pick (a
// NAS-Bench-201 genotype: six (name, op) pairs). Interpreting the model for every candidate
// repeats what does not depend on those values: the stem, the stage loops, the cells' wiring
// and names, the reductions, the head. So the first candidate of a *signature* (the arguments'
// structure, and the value or the kind of each leaf that an earlier recording was seen to read)
// is interpreted with every other leaf replaced by a hole: a proxy that forwards to the real
// value and notes any read of it, a read of its kind apart. Calling a hole (`op(x) as "layers.2"`)
// is the one use that is not a read: the call is recorded as a step, its callee named by the
// hole's path in the arguments. The rest of the graph is recorded node by node.
//
// A later candidate of the signature replays the trace: its nodes are added as recorded, and
// each hole step calls that candidate's callee at that path, as interpreting the call would
// (memoised expansions included). Interpretation would have done the same: every value it
// computes outside the hole calls is the same (the values and kinds it read are part of the
// signature, the results of hole calls are checked to have the recorded types, and nothing else
// differs), so the same statements run and make the same layers. Where the recording read a
// hole, those paths join the signature and the next candidate records again; where a replay's
// check fails (a result of another type, a name taken, any diagnostic), the builder is dropped
// and the candidate is interpreted, reporting what it reports.
//
// What the recording refuses (the signature is then always interpreted): a hole call without
// an explicit non-empty layer name (the name would come from the callee), a hole passed inside
// a hole call's arguments, a callee that is a compile-time builtin, a choice evaluated inside
// the model, a diagnostic of any severity, a node that reads a value inside a hole call other
// than its results, and a block around hole calls with fewer than two layers of its own (a
// block of one parameter-free layer is renamed after its call, so whether it is one depends on
// the callee).
import type { Attrs, DType, Graph, Init, Node, Param, TensorType, ValueId } from '../ir/types.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Span } from '../source.js';
import { sameType } from '../ir/shape.js';
import { mapTensors, refOf, sameUpToTensors } from './memo.js';
import type { Amounts, Spent } from './budget.js';
import type { V } from './values.js';

/** A path from the model's arguments to a leaf: the argument's name, then item indices. */
type Path = readonly (string | number)[];

/** What the elaborator keeps while it records a trace. */
export interface Tracing<Site> {
  /** Each hole (the proxy object) and the leaf it stands for. */
  readonly holes: WeakMap<object, { readonly path: Path; readonly value: V }>;
  /** Paths of the holes whose values were read (they join the signature). */
  readonly observed: Set<string>;
  /** Paths of the holes whose kinds were read, where the signature did not hold them (they join it). */
  readonly kindsRead: Set<string>;
  readonly calls: HoleCall<Site>[];
  /** What the hole calls spent of each budget (budget.ts), summed. */
  readonly holeSpent: Partial<Spent>;
  /** Why the trace cannot be kept, once something refused it. */
  refused?: string;
}

/** An argument of a hole call as the elaborator passes it (tensors by their ids). */
export interface TraceArg {
  readonly v: V;
  readonly span: Span;
  readonly nameSpan?: Span;
}

/** A call of a hole, as the recording saw it. */
export interface HoleCall<Site> {
  readonly path: Path;
  /** The elaborator's own record of where the call was made (frame, syntax, depth). */
  readonly site: Site;
  readonly positional: readonly TraceArg[];
  readonly keywords: ReadonlyMap<string, TraceArg>;
  /** The nodes its expansion added: [first, end). */
  readonly first: number;
  readonly end: number;
  /** The builder's value count before the call: result tensors at or past it were made by it. */
  readonly valuesBefore: number;
  readonly result: V;
}

interface TraceParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly init: Init;
  readonly buffer: boolean;
}

export interface NodeStep {
  readonly kind: 'node';
  readonly op: string;
  readonly name: string;
  /** References: −(s+1) the s-th model input, k ≥ 0 the k-th value made by the trace. */
  readonly inputs: readonly number[];
  readonly dataInputs: number;
  readonly outTypes: readonly TensorType[];
  readonly attrs: Attrs;
  readonly span: Span;
  readonly scope: readonly string[];
  readonly params: readonly TraceParam[];
}

export interface HoleStep<Site> {
  readonly kind: 'hole';
  readonly path: Path;
  readonly site: Site;
  readonly positional: readonly TraceArg[];
  readonly keywords: readonly (readonly [string, TraceArg])[];
  /** The result, tensors as references; a tensor the call made takes the next value index. */
  readonly result: V;
  /** The types of the tensors it made, in the order of their references. */
  readonly made: readonly TensorType[];
  /** The references of the tensors among its arguments, in order of first appearance. */
  readonly slots: readonly number[];
}

/**
 * A hole call's expansion for one callee: its nodes (full names; −(s+1) the s-th tensor among
 * the call's arguments), its result, and what it spent of the budgets.
 */
export interface KeptExpansion {
  readonly nodes: readonly NodeStep[];
  readonly result: V;
  readonly spent: Amounts;
}

export interface Trace<Site> {
  readonly steps: readonly (NodeStep | HoleStep<Site>)[];
  /** What the recording spent of each budget outside the hole calls (budget.ts). */
  readonly spent: Amounts;
  /** The model's inputs, as the recording made them (the same for every candidate of the signature). */
  readonly inputs: readonly { readonly name: string; readonly type: TensorType }[];
  /** The symbolic dims of the inputs' types, in order of first appearance. */
  readonly symbols: readonly string[];
  /** The graph's name. */
  readonly name: string;
  readonly outputs: readonly { readonly name: string; readonly ref: number }[];
}

const isSeq = (v: V): v is Extract<V, { t: 'list' | 'tuple' }> => v.t === 'list' || v.t === 'tuple';

/** Leaves a hole may stand for: values a model can only use by reading or calling them. */
const HOLE_KINDS = new Set(['int', 'float', 'bool', 'str', 'def', 'op']);

/** The text of a leaf whose value is part of a signature; undefined when it has none. */
function leafText(v: V): string | undefined {
  switch (v.t) {
    case 'int':
    case 'float':
      return `${v.t[0]}${v.v}`;
    case 'bool':
      return v.v ? 'T' : 'F';
    case 'str':
      return JSON.stringify(v.v);
    case 'none':
      return 'N';
    case 'op':
      return `o${v.op.name}`;
    case 'def':
      return `d${v.def.name}@${v.module.path}`;
    default:
      return undefined;
  }
}

/** What a signature holds of the model's arguments besides their structure. */
export interface Known {
  /** Paths whose values were read. */
  readonly values: ReadonlySet<string>;
  /** Paths whose kinds (int, op, block…) were read. */
  readonly kinds: ReadonlySet<string>;
}

/**
 * The signature of a model's arguments: their structure, the value of each leaf at a path
 * whose value was read, the kind of each leaf at a path whose kind was read. Undefined when an
 * argument holds a value a trace cannot stand for, or when no leaf is left to be a hole.
 */
export function signature(args: ReadonlyMap<string, V>, known: Known): string | undefined {
  let ok = true;
  let holes = 0;
  const walk = (v: V, path: string): string => {
    if (isSeq(v)) {
      // Built by concatenation, item paths interned (childPath): this runs for every candidate.
      let s = `${v.t[0]}[`;
      for (let k = 0; k < v.items.length; k++) s += (k > 0 ? ',' : '') + walk(v.items[k]!, childPath(path, k));
      return s + ']';
    }
    // A hole of a kind leafText knows needs no text.
    if (!known.values.has(path) && HOLE_KINDS.has(v.t)) {
      holes++;
      return known.kinds.has(path) ? v.t : '?';
    }
    const text = leafText(v);
    if (text === undefined) ok = false;
    return text ?? '';
  };
  let sig = '';
  for (const [k, v] of args) sig += (sig ? ';' : '') + `${k}=${walk(v, k)}`;
  // Without a hole, a trace would serve only candidates equal to this one.
  return ok && holes > 0 ? sig : undefined;
}

/**
 * The path of item `k` under `path`, the same string object each time: a set looks a string up
 * by a hash it keeps once computed, so interned paths are hashed once, not once per candidate.
 */
const children = new Map<string, string[]>();
function childPath(path: string, k: number): string {
  let c = children.get(path);
  if (!c) children.set(path, (c = []));
  return (c[k] ??= `${path}/${k}`);
}

/** A path's key in the signature's sets, and wherever steps are grouped by path (compose.ts). */
export const pathKey = (p: Path): string => p.join('/');

/**
 * The arguments with every leaf whose value the signature does not hold replaced by a hole: a
 * proxy that reads through to the leaf and notes in `tracing` any read of it, of its kind
 * apart (`kindsRead`, unless the signature holds the kind) from anything else (`observed`).
 * Lists and tuples are copied (their structure is part of the signature).
 */
export function withHoles<Site>(args: ReadonlyMap<string, V>, known: Known, tracing: Tracing<Site>): Map<string, V> {
  const wrap = (v: V, path: (string | number)[]): V => {
    if (isSeq(v)) return { t: v.t, items: v.items.map((x, k) => wrap(x, [...path, k])) };
    const key = pathKey(path);
    if (known.values.has(key) || !HOLE_KINDS.has(v.t)) return v;
    const observe = (): void => void tracing.observed.add(key);
    const kindKnown = known.kinds.has(key);
    const hole = new Proxy(v, {
      get(target, p, receiver) {
        if (p !== 't') observe();
        else if (!kindKnown) tracing.kindsRead.add(key);
        return Reflect.get(target, p, receiver) as unknown;
      },
      has(target, p) {
        observe();
        return Reflect.has(target, p);
      },
      ownKeys(target) {
        observe();
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor(target, p) {
        observe();
        return Reflect.getOwnPropertyDescriptor(target, p);
      },
      getPrototypeOf(target) {
        observe();
        return Reflect.getPrototypeOf(target);
      },
    });
    tracing.holes.set(hole, { path, value: v });
    return hole;
  };
  return new Map([...args].map(([k, v]) => [k, wrap(v, [k])]));
}

/** Whether `v` holds a hole anywhere. */
export function holdsHole<Site>(v: V, tracing: Tracing<Site>): boolean {
  if (tracing.holes.has(v)) return true;
  return isSeq(v) && v.items.some((x) => holdsHole(x, tracing));
}

/** The leaf at `path` in a candidate's arguments. */
export function leafAt(args: ReadonlyMap<string, V>, path: Path): V | undefined {
  let v = args.get(path[0] as string);
  for (let k = 1; k < path.length && v; k++) v = isSeq(v) ? v.items[path[k] as number] : undefined;
  return v;
}

/** Where recorded nodes are read from: a finished graph, or a builder while it builds. */
export interface NodeSource {
  node(i: number): Node;
  type(v: ValueId): TensorType;
  paramOf(v: ValueId): Param | undefined;
}

const graphSource = (g: Graph): NodeSource => ({
  node: (i) => g.nodes[i]!,
  type: (v) => g.values[v]!.type,
  paramOf: (v) => {
    const d = g.values[v]!.def;
    return d.kind === 'param' ? g.params[d.param] : undefined;
  },
});

const builderSource = (b: GraphBuilder): NodeSource => ({
  node: (i) => b.node(i),
  type: (v) => b.type(v),
  paramOf: (v) => b.paramOfValue(v),
});

/**
 * Node `n` as a step: its parameters not yet referred to are made just before it (they get
 * the next references, then its outputs do). Undefined when an input has no reference.
 */
function recordNode(
  src: NodeSource,
  n: Node,
  local: Map<ValueId, number>,
  next: () => number,
  ref: (v: ValueId) => number | undefined,
): NodeStep | undefined {
  const params: TraceParam[] = [];
  for (const p of n.inputs.slice(n.dataInputs)) {
    if (local.has(p)) continue;
    const param = src.paramOf(p);
    if (!param) return undefined;
    params.push({ name: param.name, shape: param.shape, dtype: param.dtype, init: param.init, buffer: param.buffer });
    local.set(p, next());
  }
  const inputs: number[] = [];
  for (const v of n.inputs) {
    const r = ref(v);
    if (r === undefined) return undefined;
    inputs.push(r);
  }
  for (const o of n.outputs) local.set(o, next());
  return {
    kind: 'node',
    op: n.op,
    name: n.name,
    inputs,
    dataInputs: n.dataInputs,
    outTypes: n.outputs.map((o) => src.type(o)),
    attrs: n.attrs,
    span: n.span,
    scope: n.scope,
    params,
  };
}

/**
 * The nodes a hole call made in the builder (from `first` on), as steps over the tensors among
 * its arguments (`slots`, referred to as −(s+1)), and its result; undefined when they read
 * anything else.
 */
export function recordExpansion(
  b: GraphBuilder,
  first: number,
  slots: readonly ValueId[],
  result: V,
): { readonly nodes: readonly NodeStep[]; readonly result: V } | undefined {
  const src = builderSource(b);
  const local = new Map<ValueId, number>();
  let count = 0;
  const next = () => count++;
  const ref = (v: ValueId): number | undefined => refOf(local, slots, v);
  const nodes: NodeStep[] = [];
  for (let i = first; i < b.nodeCount; i++) {
    const n = recordNode(src, b.node(i), local, next, ref);
    if (!n) return undefined;
    nodes.push(n);
  }
  const mapped = mapTensors(result, ref);
  return mapped && { nodes, result: mapped };
}

/**
 * Adds recorded nodes to `b`, their references resolved by `resolve` and the values they make
 * appended to `made`; false when a name is taken (the builder then holds a part).
 */
export function addNodes(
  b: GraphBuilder,
  nodes: readonly NodeStep[],
  resolve: (r: number) => ValueId,
  made: ValueId[],
): boolean {
  for (const step of nodes) if (!addNode(b, step, resolve, made)) return false;
  return true;
}

function addNode(b: GraphBuilder, step: NodeStep, resolve: (r: number) => ValueId, made: ValueId[]): boolean {
  if (b.hasNodeName(step.name)) return false;
  for (const p of step.params) made.push(b.addParam(p.name, p.shape, p.dtype, p.init, p.buffer));
  const inputs = new Array<ValueId>(step.inputs.length);
  for (let k = 0; k < inputs.length; k++) inputs[k] = resolve(step.inputs[k]!);
  const node = b.addNode(step.op, step.name, inputs, step.dataInputs, step.outTypes, step.attrs, step.span, step.scope);
  for (const o of node.outputs) made.push(o);
  return true;
}

/**
 * The trace of a recorded candidate's graph, with `calls` the hole calls in the order made;
 * undefined when a node reads a value it cannot refer to (made inside a hole call and not
 * among its results).
 */
export function recordTrace<Site>(g: Graph, calls: readonly HoleCall<Site>[], spent: Amounts): Trace<Site> | undefined {
  const src = graphSource(g);
  const local = new Map<ValueId, number>();
  let count = 0;
  const next = () => count++;
  const ref = (v: ValueId): number | undefined => refOf(local, g.inputs, v);
  const steps: (NodeStep | HoleStep<Site>)[] = [];
  let c = 0;
  for (let i = 0; ;) {
    while (c < calls.length && calls[c]!.first === i) {
      const h = calls[c++]!;
      const arg = (a: TraceArg): TraceArg | undefined => {
        const v = mapTensors(a.v, ref);
        return v && { ...a, v };
      };
      const positional = h.positional.map(arg);
      const keywords = [...h.keywords].map(([k, a]) => [k, arg(a)] as const);
      if (positional.some((a) => !a) || keywords.some(([, a]) => !a)) return undefined;
      const made: TensorType[] = [];
      const result = mapTensors(h.result, (id) => {
        if (id < h.valuesBefore) return ref(id);
        let l = local.get(id);
        if (l === undefined) {
          local.set(id, (l = count++));
          made.push(g.values[id]!.type);
        }
        return l;
      });
      if (!result) return undefined;
      const slots: number[] = [];
      const collect = (v: V): void => {
        if (v.t === 'tensor') {
          if (!slots.includes(v.id)) slots.push(v.id);
        } else if (isSeq(v)) v.items.forEach(collect);
      };
      for (const a of positional) collect(a!.v);
      for (const [, a] of keywords) collect(a!.v);
      steps.push({
        kind: 'hole',
        slots,
        path: h.path,
        site: h.site,
        positional: positional as TraceArg[],
        keywords: keywords as [string, TraceArg][],
        result,
        made,
      });
      i = h.end;
    }
    if (i >= g.nodes.length) break;
    const step = recordNode(src, g.nodes[i++]!, local, next, ref);
    if (!step) return undefined;
    steps.push(step);
  }
  if (c < calls.length) return undefined;
  const outputs: { name: string; ref: number }[] = [];
  for (const o of g.outputs) {
    const r = ref(o.value);
    if (r === undefined) return undefined;
    outputs.push({ name: o.name, ref: r });
  }
  const inputs = g.inputs.map((v) => {
    const d = g.values[v]!.def;
    return { name: d.kind === 'input' ? d.name : `input${v}`, type: g.values[v]!.type };
  });
  return { steps, spent, inputs, symbols: g.symbols, name: g.name, outputs };
}

/**
 * Replays a trace into `b`, whose model inputs `slots` are made; false (the builder then holds
 * a part) when a recorded name is taken or a hole call does not give what the recording got.
 * `call` makes a hole step's call for this candidate, given the tensors among its arguments
 * and a way to have the arguments themselves (undefined: it could not, or reported).
 */
export function replayTrace<Site>(
  b: GraphBuilder,
  t: Trace<Site>,
  slots: readonly ValueId[],
  call: (
    step: HoleStep<Site>,
    slots: ValueId[],
    args: () => { positional: TraceArg[]; keywords: Map<string, TraceArg> },
  ) => V | undefined,
): boolean {
  if (slots.length !== t.inputs.length) return false;
  const made: ValueId[] = [];
  const resolve = (r: number): ValueId => (r < 0 ? slots[-r - 1]! : made[r]!);
  const arg = (a: TraceArg): TraceArg => ({ ...a, v: mapTensors(a.v, resolve)! });
  for (const step of t.steps) {
    if (step.kind === 'node') {
      if (!addNode(b, step, resolve, made)) return false;
      continue;
    }
    const r = call(step, step.slots.map(resolve), () => ({
      positional: step.positional.map(arg),
      keywords: new Map(step.keywords.map(([k, a]) => [k, arg(a)])),
    }));
    if (!r) return false;
    // A fresh result takes the next value index and must have the recorded type; any other
    // must be the value it was.
    let fresh = 0;
    const same = sameUpToTensors(step.result, r, (ref, id) => {
      if (ref !== made.length) return resolve(ref) === id;
      if (!sameType(step.made[fresh++]!, b.type(id))) return false;
      made.push(id);
      return true;
    });
    if (!same) return false;
  }
  for (const o of t.outputs) b.addOutput(o.name, resolve(o.ref));
  return true;
}

/** The traces of one model: by signature, a trace or why the signature is interpreted. */
export class ModelTraces<Site> implements Known {
  /** Paths whose values recordings read: they are part of the signature. */
  readonly values = new Set<string>();
  /** Paths whose kinds recordings read: they are part of the signature. */
  readonly kinds = new Set<string>();
  readonly traces = new Map<string, Trace<Site> | string>();
  recorded = 0;
  replayed = 0;
  /** Recording is given up when it does not pay: many signatures, few candidates per signature. */
  get worthwhile(): boolean {
    return this.traces.size < 4096 && (this.recorded < 64 || this.replayed >= this.recorded);
  }
}
