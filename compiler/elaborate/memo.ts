// Memoised block expansion. A block call is a pure function of the block, its compile-time
// arguments and the types of its tensor arguments: the layers it emits, their names relative
// to the call's name, their parameters and shapes are all determined by those. So the first
// expansion of a call is recorded as a template, and a later call with the same key replays
// the template into the graph (new ids, the new call's name) instead of interpreting the
// block's body again. A replayed graph is identical to the one a fresh expansion builds.
//
// What may not be memoised, and is not: inlined calls (`as ""` shares the caller's names),
// calls that report a diagnostic, calls that share parameters with an outside layer
// (`share=`), calls that evaluate a search-space `choice()`, and calls whose layers read a
// tensor that is neither an argument nor made inside. Search-space scoring leans on this: the
// candidates of a space differ in a few places and share the expansion of everything else.
import type { GraphBuilder } from '../ir/builder.js';
import type { Attrs, DType, Init, TensorType, ValueId } from '../ir/types.js';
import type { Span } from '../source.js';
import { valueEquals, type V } from './values.js';

interface TemplateParam {
  readonly rel: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly init: Init;
  readonly buffer: boolean;
}

interface TemplateNode {
  readonly op: string;
  /** The node's name after the call's name: '' (the call itself) or '.conv1', '.layers.2.op.1'. */
  readonly rel: string;
  /** Inputs as references: a slot s (a tensor argument) is −(s+1), a value made inside is its index. */
  readonly inputs: readonly number[];
  readonly dataInputs: number;
  readonly outTypes: readonly TensorType[];
  readonly attrs: Attrs;
  readonly span: Span;
  /** Scope entries after the caller's scope, each relative to the call's name. */
  readonly scopeRel: readonly string[];
  /** Parameters created just before this node, in order. */
  readonly params: readonly TemplateParam[];
}

export interface Template {
  readonly nodes: readonly TemplateNode[];
  /** The block's result, with tensor ids replaced by references (see TemplateNode.inputs). */
  readonly result: V;
}

/** The tensor arguments of a call, in order of first appearance, as the key numbers them. */
export interface CallKey {
  readonly key: string;
  readonly slots: readonly ValueId[];
}

const ids = new WeakMap<object, number>();
const seqKeys = new WeakMap<object, string>();
let nextId = 1;
function identity(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/** A tensor type's part of a key, once per type object (replayed values share theirs). */
const typeKeys = new WeakMap<TensorType, string>();
function typeKey(ty: TensorType): string {
  let k = typeKeys.get(ty);
  if (k === undefined) typeKeys.set(ty, (k = `${ty.shape.join('x')}:${ty.dtype}`));
  return k;
}

/** A tensor's part of a type-generic key: its rank and dtype, not its dims (generic.ts). */
const rankKeys = new WeakMap<TensorType, string>();
function rankKey(ty: TensorType): string {
  let k = rankKeys.get(ty);
  if (k === undefined) rankKeys.set(ty, (k = `r${ty.shape.length}:${ty.dtype}`));
  return k;
}

/**
 * The memo key of a call: the block's identity and a canonical text of every argument value
 * (undefined = the parameter's default). Undefined when some argument cannot be keyed.
 * `generic` keys a tensor by its rank and dtype only: the key of a call's type-generic
 * template (generic.ts).
 */
export function callKey(
  block: object,
  args: readonly (V | undefined)[],
  typeOf: (v: ValueId) => TensorType,
  generic = false,
  /** A candidate trace's holes (trace.ts): a call given one is not keyed (its key would read it). */
  holes?: { has(v: object): boolean },
): CallKey | undefined {
  const slots: ValueId[] = [];
  let ok = true;
  let tensors = 0;
  const key = (v: V): string => {
    if (holes?.has(v)) {
      ok = false;
      return '!';
    }
    switch (v.t) {
      case 'int':
        return `i${v.v}`;
      case 'float':
        return `f${v.v}`;
      case 'bool':
        return v.v ? 'T' : 'F';
      case 'str':
        return JSON.stringify(v.v);
      case 'none':
        return 'N';
      case 'list':
      case 'tuple': {
        // Compile-time lists (a genotype, a stage table) are keyed once per list object.
        const cached = seqKeys.get(v);
        if (cached !== undefined) return cached;
        const before = tensors;
        const text = v.t === 'list' ? `[${v.items.map(key).join(',')}]` : `(${v.items.map(key).join(',')})`;
        if (tensors === before && ok) seqKeys.set(v, text);
        return text;
      }
      case 'tensor': {
        tensors++;
        let s = slots.indexOf(v.id);
        if (s < 0) s = slots.push(v.id) - 1;
        return `t${s}:${generic ? rankKey(typeOf(v.id)) : typeKey(typeOf(v.id))}`;
      }
      case 'sym':
        return `s${v.name}`;
      case 'def':
        return `d${identity(v.def)}`;
      case 'op':
        return `o${v.op.name}`;
      case 'builtin':
        return `b${v.name}`;
      case 'ns':
        return `m${identity(v.module)}`;
      case 'config':
      case 'poison':
        ok = false;
        return '!';
    }
  };
  const text = `${identity(block)}(${args.map((a) => (a === undefined ? '_' : key(a))).join(',')})`;
  return ok ? { key: text, slots } : undefined;
}

/**
 * A node's scope after its call's caller scope, each entry relative to the call's name; cached
 * per scope array (the nodes of one block call share one). Undefined when not under the call.
 */
export function relativeScope(
  scope: readonly string[],
  callerScope: readonly string[],
  name: string,
  cache: Map<readonly string[], readonly string[]>,
): readonly string[] | undefined {
  const cached = cache.get(scope);
  if (cached) return cached;
  if (scope.length < callerScope.length || callerScope.some((s, k) => scope[k] !== s)) return undefined;
  const rels: string[] = [];
  for (const s of scope.slice(callerScope.length)) {
    const r = relativeName(name, s);
    if (r === undefined) return undefined;
    rels.push(r);
  }
  cache.set(scope, rels);
  return rels;
}

/** The scope a relative scope stands for under the call `name`; cached per relative scope. */
export function scopeUnder(
  scopeRel: readonly string[],
  callerScope: readonly string[],
  name: string,
  cache: Map<readonly string[], readonly string[]>,
): readonly string[] {
  if (scopeRel.length === 0) return callerScope;
  let scope = cache.get(scopeRel);
  if (!scope) cache.set(scopeRel, (scope = [...callerScope, ...scopeRel.map((s) => name + s)]));
  return scope;
}

/** Replaces every tensor of `v` by `f(id)`; undefined when `f` gives undefined for one. */
export function mapTensors(v: V, f: (id: number) => number | undefined): V | undefined {
  if (v.t === 'tensor') {
    const r = f(v.id);
    return r === undefined ? undefined : { t: 'tensor', id: r };
  }
  if (v.t === 'list' || v.t === 'tuple') {
    const items: V[] = [];
    for (const x of v.items) {
      const m = mapTensors(x, f);
      if (m === undefined) return undefined;
      items.push(m);
    }
    return { t: v.t, items };
  }
  return v;
}

/**
 * Whether a value a call gave is the one recorded up to its tensors, whose references `check`
 * accepts (it sees each tensor's recorded reference and actual id, in order).
 */
export function sameUpToTensors(recorded: V, actual: V, check: (ref: number, id: ValueId) => boolean): boolean {
  if (recorded.t === 'tensor') return actual.t === 'tensor' && check(recorded.id, actual.id);
  if (recorded.t === 'list' || recorded.t === 'tuple') {
    if (actual.t !== recorded.t || actual.items.length !== recorded.items.length) return false;
    return recorded.items.every((x, k) => sameUpToTensors(x, actual.items[k]!, check));
  }
  return actual.t !== 'tensor' && valueEquals(recorded, actual);
}

/**
 * The reference (see TemplateNode.inputs) of value `v` while a call is recorded: its index among
 * the values the call made (`local`), else its argument slot; undefined when it is neither.
 */
export function refOf(local: ReadonlyMap<ValueId, number>, slots: readonly ValueId[], v: ValueId): number | undefined {
  const l = local.get(v);
  if (l !== undefined) return l;
  const s = slots.indexOf(v);
  return s < 0 ? undefined : -(s + 1);
}

/** A layer's name after its call's name `name` ('' or '.conv1'); undefined when not under it. */
export function relativeName(name: string, full: string): string | undefined {
  if (full === name) return '';
  return full.length > name.length && full.charCodeAt(name.length) === 46 /* . */ && full.startsWith(name)
    ? full.slice(name.length)
    : undefined;
}

/** Records the nodes a call added (from `firstNode` on) as a template; undefined when it cannot. */
export function recordTemplate(
  b: GraphBuilder,
  firstNode: number,
  name: string,
  callerScope: readonly string[],
  slots: readonly ValueId[],
  result: V,
): Template | undefined {
  const local = new Map<ValueId, number>();
  let count = 0;
  const ref = (v: ValueId): number | undefined => refOf(local, slots, v);
  const nodes: TemplateNode[] = [];
  const scopes = new Map<readonly string[], readonly string[]>();
  for (let i = firstNode; i < b.nodeCount; i++) {
    const n = b.node(i);
    const rel = relativeName(name, n.name);
    if (rel === undefined) return undefined;
    const params: TemplateParam[] = [];
    for (const p of n.inputs.slice(n.dataInputs)) {
      if (local.has(p)) continue;
      const param = b.paramOfValue(p);
      const prel = param && relativeName(name, param.name);
      if (!param || prel === undefined) return undefined;
      params.push({ rel: prel, shape: param.shape, dtype: param.dtype, init: param.init, buffer: param.buffer });
      local.set(p, count++);
    }
    const inputs: number[] = [];
    for (const v of n.inputs) {
      const r = ref(v);
      if (r === undefined) return undefined;
      inputs.push(r);
    }
    // Nodes of one block call share one scope array; their templates share one scopeRel.
    const scopeRel = relativeScope(n.scope, callerScope, name, scopes);
    if (!scopeRel) return undefined;
    for (const o of n.outputs) local.set(o, count++);
    nodes.push({
      op: n.op,
      rel,
      inputs,
      dataInputs: n.dataInputs,
      outTypes: n.outputs.map((o) => b.type(o)),
      attrs: n.attrs,
      span: n.span,
      scopeRel,
      params,
    });
  }
  const mapped = mapTensors(result, ref);
  return mapped && { nodes, result: mapped };
}

/** Replays a template under the call name `name`; undefined when a name is already taken. */
export function replayTemplate(
  b: GraphBuilder,
  t: Template,
  name: string,
  callerScope: readonly string[],
  slots: readonly ValueId[],
): V | undefined {
  // Each full name is built once: the check and the insertion hash the same flat string.
  const names = t.nodes.map((n) => name + n.rel);
  for (const full of names) if (b.hasNodeName(full)) return undefined;
  const made: ValueId[] = [];
  const resolve = (r: number): ValueId => (r < 0 ? slots[-r - 1]! : made[r]!);
  const scopes = new Map<readonly string[], readonly string[]>();
  t.nodes.forEach((n, i) => {
    for (const p of n.params) made.push(b.addParam(name + p.rel, p.shape, p.dtype, p.init, p.buffer));
    const scope = scopeUnder(n.scopeRel, callerScope, name, scopes);
    const node = b.addNode(n.op, names[i]!, n.inputs.map(resolve), n.dataInputs, n.outTypes, n.attrs, n.span, scope);
    for (const o of node.outputs) made.push(o);
  });
  return mapTensors(t.result, resolve);
}

/**
 * Where templates are kept between calls. Elaborating one model, every template it records is
 * kept (`current`). When the model is done (`endInstance`), what it recorded moves to a small
 * probation generation; a later model that replays a template from there promotes it to the
 * long-lived LRU. Templates that only ever serve the model that recorded them (a search-space
 * candidate's cells, keyed by its own choices) are thus dropped within a few candidates. Kept
 * in the LRU, they lived long enough to be copied out of the young generation and collected
 * again as old objects, a third of the elaboration time of a space like NAS-Bench-201.
 */
export class TemplateCache<T> {
  private current = new Map<string, T>();
  private readonly probation: LruMap<string, T>;
  private readonly kept: LruMap<string, T>;
  constructor(keep: number, probation: number) {
    this.kept = new LruMap(keep);
    this.probation = new LruMap(probation);
  }
  get(key: string): T | undefined {
    const c = this.current.get(key) ?? this.kept.get(key);
    if (c !== undefined) return c;
    const p = this.probation.take(key);
    if (p !== undefined) this.kept.set(key, p);
    return p;
  }
  set(key: string, t: T): void {
    this.current.set(key, t);
  }
  /** The model being elaborated is finished: its templates go on probation. */
  endInstance(): void {
    for (const [k, t] of this.current) this.probation.set(k, t);
    this.current = new Map();
  }
}

/**
 * A bounded map that forgets what has not been used lately: entries live in a young and an old
 * generation; a hit in the old one moves the entry to the young one, and when the young one is
 * full the old one is dropped. Cheaper than an exact LRU on hot lookups.
 */
export class LruMap<K, T> {
  private young = new Map<K, T>();
  private old = new Map<K, T>();
  constructor(private readonly max: number) {}
  get(k: K): T | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) this.set(k, o);
    return o;
  }
  set(k: K, v: T): void {
    this.young.set(k, v);
    if (this.young.size >= this.max / 2) {
      this.old = this.young;
      this.young = new Map();
    }
  }
  /** Removes and returns an entry. */
  take(k: K): T | undefined {
    const v = this.young.get(k) ?? this.old.get(k);
    this.young.delete(k);
    this.old.delete(k);
    return v;
  }
  get size(): number {
    return this.young.size + this.old.size;
  }
}
