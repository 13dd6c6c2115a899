// The topology of an IR graph as the structural analyses (NN-Mass, NN-Degree, the DTMC path
// analysis, the canonical hash) see it: what the network computes, with everything that
// cannot affect the output removed.
//
// The functional view:
// - `identity(x)` is x; `zero(x)` (the NAS-cell `none`) is a zero constant;
// - a zero operand of `add` drops out (x + 0 = x), and ops that map zero to zero (activations
//   with f(0) = 0, pooling, layout ops, bias-free conv/linear, a product with a zero factor)
//   give zero when their inputs are zero (the op property `zeroPreserving`). Batchnorm does
//   not: BN(0) is its learned shift β.
// - nodes whose results cannot reach an output are dropped.
// Values keep their ids; `alias[v]` says what a value amounts to: itself, an earlier value,
// or ZERO. Node ids are topologically ordered (the builder only appends), so "earlier" is "<".
import type { Graph, Node, ValueId } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';
import { sameType } from '../ir/shape.js';

export const ZERO = -1;

/** Ops whose learned or counted "layers" NN-Mass and NN-Degree are about. */
export const LAYER_OPS = new Set(['conv2d', 'linear']);

export interface FunctionalView {
  readonly graph: Graph;
  /** What each value amounts to: itself, another (earlier) value, or ZERO. */
  readonly alias: readonly number[];
  /** The nodes that still compute something the outputs need, in topological order. */
  readonly live: readonly Node[];
  /** Per node id: its data inputs after aliasing (ZERO where an input is zero). */
  readonly inputs: readonly (readonly number[] | undefined)[];
  /** The graph outputs after aliasing. */
  readonly outputs: readonly number[];
  /** Per value id: how many live data uses (outputs included) it has. */
  readonly uses: readonly number[];
  /** Per value id: the node that produces it (−1 for inputs and parameters). */
  readonly producer: readonly number[];
}

function hasBias(n: Node): boolean {
  return n.inputs.length - n.dataInputs > 1;
}

/**
 * What a node's (first) output amounts to when the view folds it: its input for an identity,
 * ZERO, or the other operand of an add with a zero; undefined when the node computes something.
 * `ins` are its data inputs after aliasing, `zeros` how many of them are ZERO.
 */
function folded(g: Graph, n: Node, ins: readonly number[], zeros: number, prune: boolean): number | undefined {
  if (n.op === 'identity') return ins[0]!;
  if (!prune || n.outputs.length !== 1) return undefined;
  if (n.op === 'zero') return ZERO;
  if (zeros === 0) return undefined;
  if (n.op === 'add' || n.op === 'sub') {
    const other = n.op === 'sub' ? (ins[1] === ZERO ? ins[0]! : undefined) : ins[0] === ZERO ? ins[1]! : ins[0]!;
    if (zeros === 2) return ZERO;
    if (other !== undefined && sameType(g.values[other]!.type, g.values[n.outputs[0]!]!.type)) return other;
    return undefined;
  }
  if (
    n.op === 'mul' ||
    n.op === 'matmul' ||
    (zeros === ins.length && (lookupOp(n.op)!.props.zeroPreserving || (LAYER_OPS.has(n.op) && !hasBias(n))))
  )
    return ZERO;
  return undefined;
}

/**
 * How a caller folds some nodes itself (a search space's cached segments): `fold` gives the
 * node's output alias, 'live' to keep it, a string why no view can be built, or undefined for the
 * usual rule; `inputUses`, what a live node adds to its first input's uses in place of one per input.
 */
export interface NodeRule {
  fold(n: Node, ins: readonly number[], zeros: number): number | 'live' | string | undefined;
  inputUses(n: Node): number | undefined;
}

/** The functional view of a graph; with `prune` false, only identities are folded. */
export function functionalView(g: Graph, prune?: boolean): FunctionalView;
export function functionalView(g: Graph, prune: boolean, rule: NodeRule): FunctionalView | string;
export function functionalView(g: Graph, prune = true, rule?: NodeRule): FunctionalView | string {
  // Plain arrays: many small typed arrays cost more in allocation and GC than they save.
  const nv = g.values.length;
  const alias: number[] = new Array<number>(nv);
  const producer: number[] = new Array<number>(nv);
  for (let v = 0; v < nv; v++) {
    alias[v] = v;
    producer[v] = -1;
  }
  const inputs: (number[] | undefined)[] = new Array<number[] | undefined>(g.nodes.length);
  for (const n of g.nodes) {
    const ins: number[] = new Array<number>(n.dataInputs);
    let zeros = 0;
    for (let i = 0; i < n.dataInputs; i++) {
      const a = alias[n.inputs[i]!]!;
      ins[i] = a;
      if (a === ZERO) zeros++;
    }
    for (const o of n.outputs) producer[o] = n.id;
    const own = rule?.fold(n, ins, zeros);
    if (typeof own === 'string' && own !== 'live') return own;
    const a = own === undefined ? folded(g, n, ins, zeros, prune) : own === 'live' ? undefined : own;
    if (a !== undefined) alias[n.outputs[0]!] = a;
    else inputs[n.id] = ins;
  }
  // Liveness, from the outputs back.
  const outputs = g.outputs.map((o) => alias[o.value]!);
  const uses: number[] = new Array<number>(nv).fill(0);
  for (const o of outputs) if (o !== ZERO) uses[o]!++;
  const live: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const ins = inputs[i];
    if (!ins) continue;
    const n = g.nodes[i]!;
    let needed = false;
    for (const o of n.outputs) if (uses[o]! > 0) needed = true;
    if (!needed) continue;
    live.push(n);
    const own = rule?.inputUses(n);
    if (own !== undefined) uses[ins[0]!]! += own;
    else for (const v of ins) if (v !== ZERO) uses[v]!++;
  }
  live.reverse();
  return { graph: g, alias, live, inputs, outputs, uses, producer };
}

/** The channel axis of a value: 1 for [N, C, …] tensors, the last axis for [N, D] and [N, T, D]. */
export function channelAxis(rank: number): number {
  return rank === 4 ? 1 : rank - 1;
}

export function channels(g: Graph, v: ValueId): number {
  const s = g.values[v]!.type.shape;
  const c = s[channelAxis(s.length)];
  return typeof c === 'number' ? c : 0;
}

/** Spatial resolution key of a value: "HxW" for images, "flat" otherwise. */
export function resolutionKey(g: Graph, v: ValueId): string {
  const s = g.values[v]!.type.shape;
  return s.length === 4 ? `${s[2]}x${s[3]}` : 'flat';
}

/**
 * Immediate dominators of the values of a functional view, over the data edges, from a
 * virtual root above every graph input and source. `idom[v]` is −1 for values whose only
 * dominator is the root (and for values not in the view).
 */
export function dominators(view: FunctionalView): number[] {
  const g = view.graph;
  const idom: number[] = new Array<number>(g.values.length).fill(-2);
  for (const v of g.inputs) idom[v] = -1;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      if (a < 0 || b < 0) return -1;
      if (a > b) a = idom[a]!;
      else b = idom[b]!;
    }
    return a;
  };
  for (const n of view.live) {
    let d = -3;
    for (const v of view.inputs[n.id]!) {
      if (v === ZERO) continue;
      d = d === -3 ? v : d < 0 ? -1 : intersect(d, v);
    }
    if (d === -3) d = -1;
    for (const o of n.outputs) idom[o] = d;
  }
  return idom;
}

/** The lowest common dominator of two values (a value dominates itself); −1 if only the root. */
export function commonDominator(idom: readonly number[], a: number, b: number): number {
  while (a !== b) {
    if (a < 0 || b < 0) return -1;
    if (a > b) a = idom[a]!;
    else b = idom[b]!;
  }
  return a;
}

export interface Layer {
  readonly node: Node;
  /** Output channels (width). */
  readonly width: number;
  readonly cell: number;
  /** Position in its cell, 0-based, in topological order. */
  readonly index: number;
}

export interface Cell {
  readonly resolution: string;
  readonly layers: readonly Layer[];
  /** The most common layer width in the cell (ties: the wider). */
  readonly width: number;
}

/**
 * Layers (live conv/linear nodes) grouped into cells: maximal runs, in topological order, of
 * layers whose outputs have the same spatial resolution. A stride or a pooling step starts a
 * new cell, as NN-Mass's cells start at each downsampling.
 */
export function cells(view: FunctionalView): Cell[] {
  const g = view.graph;
  const out: { resolution: string; layers: Layer[] }[] = [];
  for (const n of view.live) {
    if (!LAYER_OPS.has(n.op)) continue;
    const o = n.outputs[0]!;
    const res = resolutionKey(g, o);
    let cur = out[out.length - 1];
    if (!cur || cur.resolution !== res) out.push((cur = { resolution: res, layers: [] }));
    cur.layers.push({ node: n, width: channels(g, o), cell: out.length - 1, index: cur.layers.length });
  }
  return out.map((c) => ({ ...c, width: commonWidth(c.layers.map((l) => l.width)) }));
}

/** The most common of a cell's layer widths, in order (ties: the wider). */
export function commonWidth(widths: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const w of widths) counts.set(w, (counts.get(w) ?? 0) + 1);
  let width = 0;
  let best = -1;
  for (const [w, k] of counts)
    if (k > best || (k === best && w > width)) {
      width = w;
      best = k;
    }
  return width;
}

/**
 * Where the channels [lo, hi) of value v come from: a list of (source value, channel count),
 * following concatenations and channel slices back through channel-preserving ops to the
 * nearest value made by anything else (a layer, an add, an input).
 */
export function channelSources(
  view: FunctionalView,
  v: number,
  lo: number,
  hi: number,
  out: Map<number, number> = new Map(),
): Map<number, number> {
  const g = view.graph;
  if (hi <= lo || v === ZERO) return out;
  const p = view.producer[v]!;
  const n = p >= 0 ? g.nodes[p]! : undefined;
  const ins = n ? view.inputs[n.id] : undefined;
  if (n && ins) {
    const rank = g.values[v]!.type.shape.length;
    const axis = channelAxis(rank);
    if (lookupOp(n.op)!.props.channelTransparent) return channelSources(view, ins[0]!, lo, hi, out);
    if (n.op === 'concat') {
      const a = n.attrs['axis'] as number;
      if ((a < 0 ? a + rank : a) === axis) {
        let base = 0;
        n.inputs.slice(0, n.dataInputs).forEach((orig, i) => {
          const c = channels(g, orig);
          channelSources(view, ins[i]!, Math.max(lo, base) - base, Math.min(hi, base + c) - base, out);
          base += c;
        });
        return out;
      }
    }
    if (n.op === 'slice') {
      const a = n.attrs['axis'] as number;
      const step = (n.attrs['step'] as number | undefined) ?? 1;
      if ((a < 0 ? a + rank : a) === axis && step === 1) {
        const start = (n.attrs['start'] as number | null | undefined) ?? 0;
        const s = start < 0 ? start + channels(g, n.inputs[0]!) : start;
        return channelSources(view, ins[0]!, s + lo, s + hi, out);
      }
    }
  }
  const origin = view.alias[v]!;
  out.set(origin, (out.get(origin) ?? 0) + (hi - lo));
  return out;
}
