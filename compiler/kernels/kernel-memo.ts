// A memo of built kernels across plans and within one, keyed by what a kernel's construction
// reads. A NAS-Bench-201 gradient graph plans ~390 kernels of which ~73 are distinct, and the
// candidates of a search share most of those: building each kernel's IR and rendering its WGSL
// was most of the planner's time (`mdl score --profile`: "compile"). A hit reuses the IR, the
// WGSL text and the workgroup counts, and maps the bindings, the written values and the
// evaluated nodes onto this instance.
//
// The key is a walk of the kernel's cone that follows the same branches as its construction
// (plan.ts: buildAnchor, buildPointwise, accessor, evalValue): each value is numbered by first
// appearance (so an input read twice keys differently from two inputs alike), with its dtype
// and shape and how the kernel gets it: a strided view of a buffer (numbered by first
// appearance too, with offset and strides), the anchor's own output, or a node evaluated inline
// (op, output index, attributes, output shapes, then its inputs). Writes key by their buffer and
// offset. The planner's target, tile overrides and mode prefix every key. The walk may visit
// more than a construction reads (a lowering may read only an input's shape); it never visits
// less, so equal keys mean equal constructions.
//
// What is not memoised: kernels that bind the run's random stream (dropout and token masks
// salt it with the node's name, which the key leaves out), optimizer groups, and constructions
// that ask for something to be materialised. A test plans every example model and many search
// candidates with and without the memo and compares the plans in full.
import type { Node, ValueId } from '../ir/types.js';
import type { Resource } from './builder.js';
import type { Kernel } from './ir.js';
import type { Lowering, View } from './lowering.js';

/** What the walk reads of the planner. */
export interface ConeSource {
  readonly shape: readonly (readonly number[])[];
  readonly dtype: readonly ('f32' | 'i32')[];
  readonly lower: readonly Lowering[];
  readonly def: readonly ({ node: Node; index: number } | undefined)[];
  readonly fusedValue: ReadonlySet<ValueId>;
  readonly fusedRoot: ReadonlyMap<ValueId, { readonly chain: readonly ValueId[]; readonly stores: readonly ValueId[] }>;
  viewOf(v: ValueId): View | undefined;
  place(v: ValueId): { readonly base: ValueId; readonly offset: number };
}

/** A kernel's cone as the walk saw it: the key, and the instance's values and buffers by number. */
export interface Cone {
  readonly key: string;
  readonly values: readonly ValueId[];
  readonly bases: readonly ValueId[];
}

/** What a hit gives back: the kernel, and its instance-specific parts as walk numbers. */
interface Entry {
  readonly kernel: Kernel;
  readonly wgsl: string;
  readonly workgroups: readonly [number, number, number];
  /** Each binding's buffer, as a number in the cone's `bases`. */
  readonly resources: readonly number[];
  /** Written values and inline-evaluated values, as numbers in the cone's `values`. */
  readonly writes: readonly number[];
  readonly evaluated: readonly number[];
}

/** Attribute text per node object (a node's attributes never change once built). */
const attrText = new WeakMap<object, string>();
function attrsKey(n: Node): string {
  let s = attrText.get(n.attrs);
  if (s === undefined) {
    // Numbers spelled by String, not JSON: NaN and null must key differently.
    const enc = (x: unknown): string =>
      Array.isArray(x) ? `[${x.map(enc).join(',')}]` : typeof x === 'string' ? JSON.stringify(x) : String(x);
    s = Object.keys(n.attrs)
      .sort()
      .map((k) => `${k}=${enc(n.attrs[k])}`)
      .join(';');
    attrText.set(n.attrs, s);
  }
  return s;
}

class Walk {
  readonly parts: string[] = [];
  readonly values: ValueId[] = [];
  readonly bases: ValueId[] = [];
  private readonly valueNo = new Map<ValueId, number>();
  private readonly baseNo = new Map<ValueId, number>();
  constructor(
    readonly p: ConeSource,
    /** Chain values of the epilogue being keyed: evaluated in the kernel, never loaded. */
    readonly inline: ReadonlySet<ValueId>,
  ) {}

  base(b: ValueId): number {
    let k = this.baseNo.get(b);
    if (k === undefined) {
      k = this.bases.length;
      this.bases.push(b);
      this.baseNo.set(b, k);
    }
    return k;
  }

  /** Numbers `v`; true when it was numbered already (then only its number is keyed). */
  number(v: ValueId): boolean {
    const k = this.valueNo.get(v);
    if (k !== undefined) {
      this.parts.push(`#${k}`);
      return true;
    }
    this.valueNo.set(v, this.values.length);
    this.values.push(v);
    this.parts.push(`v${this.p.dtype[v]}${this.p.shape[v]!.join('x')}`);
    return false;
  }

  /** As `accessor` reads a value: a view of a buffer, or computed. */
  read(v: ValueId): void {
    if (this.number(v)) return;
    const view = this.p.fusedValue.has(v) || this.inline.has(v) ? undefined : this.p.viewOf(v);
    if (view) this.parts.push(`V${this.base(view.base)}@${view.offset}:${view.strides.join(',')}`);
    else this.evaluate(v);
  }

  /** As `evalValue` computes a value: its node's lowering at an index, over its inputs. */
  evaluate(v: ValueId): void {
    const d = this.p.def[v];
    if (!d) {
      this.parts.push('!');
      return;
    }
    const L = this.p.lower[d.node.id]!;
    // An anchor's own output inside its epilogue: substituted by the accumulator.
    if (L.kind === 'kernel') {
      this.parts.push(`K${d.index}`);
      return;
    }
    const n = d.node;
    this.parts.push(`(${n.op}.${d.index}{${attrsKey(n)}}${n.outputs.map((o) => this.p.shape[o]!.join('x')).join('|')}`);
    for (const u of n.inputs) this.read(u);
    this.parts.push(')');
  }

  /** A value the kernel writes, where it is written. */
  write(v: ValueId): void {
    this.number(v);
    const at = this.p.place(v);
    this.parts.push(`W${this.base(at.base)}@${at.offset}`);
  }
}

/** The cone of the kernel an anchor builds, with the epilogue ending at `root` if given. */
export function anchorCone(p: ConeSource, prefix: string, a: Node, root: ValueId | undefined): Cone {
  const fused = root !== undefined ? p.fusedRoot.get(root) : undefined;
  const w = new Walk(p, new Set(fused?.chain ?? []));
  w.parts.push(prefix, `A${a.op}{${attrsKey(a)}}`);
  for (const u of a.inputs) w.read(u);
  w.parts.push('|');
  a.outputs.forEach((o, out) => {
    if (fused && out === 0) {
      w.number(o);
      w.parts.push('E');
      w.evaluate(root!);
      w.write(root!);
      for (const c of fused.stores) {
        w.read(c);
        w.write(c);
      }
    } else w.write(o);
  });
  return { key: w.parts.join(' '), values: w.values, bases: w.bases };
}

/** The cone of a pointwise kernel computing `r`. */
export function pointwiseCone(p: ConeSource, prefix: string, r: ValueId): Cone {
  const w = new Walk(p, new Set());
  w.parts.push(prefix, 'P');
  w.number(r);
  w.evaluate(r);
  w.write(r);
  return { key: w.parts.join(' '), values: w.values, bases: w.bases };
}

/** A kernel built for a cone, or what a hit rebuilds for this instance. */
export interface MemoKernel {
  readonly kernel: Kernel;
  readonly wgsl: string;
  readonly workgroups: readonly [number, number, number];
  readonly resources: readonly Resource[];
  readonly writes: readonly ValueId[];
  readonly evaluated: ReadonlySet<ValueId>;
}

// A kept kernel (IR and WGSL) takes about 80 KB of heap for NAS-Bench-201's (18 MB for the 222
// distinct kernels of 20 candidates' gradient plans): the memo holds as many as the device's
// pipeline cache (runtime/pipeline-cache.ts), about 80 MB at most.
const CAPACITY = 1024;

/** Built kernels by cone key, least recently used first. */
export class KernelMemo {
  private readonly entries = new Map<string, Entry>();
  readonly stats = { hits: 0, misses: 0 };

  get(cone: Cone, name: string): MemoKernel | undefined {
    const e = this.entries.get(cone.key);
    if (!e) {
      this.stats.misses++;
      return undefined;
    }
    this.entries.delete(cone.key);
    this.entries.set(cone.key, e);
    this.stats.hits++;
    return {
      kernel: e.kernel.name === name ? e.kernel : { ...e.kernel, name },
      wgsl: e.wgsl,
      workgroups: e.workgroups,
      resources: e.resources.map((k) => ({ kind: 'value', value: cone.bases[k]! })),
      writes: e.writes.map((k) => cone.values[k]!),
      evaluated: new Set(e.evaluated.map((k) => cone.values[k]!)),
    };
  }

  /** Forgets every kernel (tests). */
  clear(): void {
    this.entries.clear();
    this.stats.hits = 0;
    this.stats.misses = 0;
  }

  /** Keeps a kernel built for `cone`, unless it has parts the key does not determine. */
  set(cone: Cone, k: MemoKernel): void {
    const baseNo = new Map(cone.bases.map((b, i) => [b, i]));
    const valueNo = new Map(cone.values.map((v, i) => [v, i]));
    const resources: number[] = [];
    for (const r of k.resources) {
      const i = r.kind === 'value' ? baseNo.get(r.value) : undefined;
      if (i === undefined) return; // the random stream, or a buffer the walk did not see
      resources.push(i);
    }
    const writes = k.writes.map((v) => valueNo.get(v));
    const evaluated = [...k.evaluated].map((v) => valueNo.get(v));
    if (writes.includes(undefined) || evaluated.includes(undefined)) return;
    this.entries.set(cone.key, {
      kernel: k.kernel,
      wgsl: k.wgsl,
      workgroups: k.workgroups,
      resources,
      writes: writes as number[],
      evaluated: evaluated as number[],
    });
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The process's memo, shared by every plan (planning is synchronous: no interleaving). */
export const KERNEL_MEMO = new KernelMemo();
