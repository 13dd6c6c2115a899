// The canonical architecture hash: equal for two candidates that compute the same function
// with the same structure, whatever the layer names, the order of commutative operands, or
// the parts that cannot reach the output.
//
// It hashes the functional view (analysis/topology.ts): identities folded, `none` edges and
// zero summands removed, dead code dropped. Each value gets a Merkle label from its op, the
// op's attributes and parameter shapes, and its inputs' labels (a sum of several terms is
// one n-ary sum with its terms sorted; `mul` is sorted too). The hash combines the outputs'
// labels with the sorted multiset of every live node's label, so two graphs that expand to
// the same expression tree but share a sub-result differently (one conv used twice, or two
// convs) still differ. Names, spans and initialisers do not enter.
//
// `graphHash` is the same over the graph as built (nothing pruned but identities): equal
// graph hashes mean equal parameter counts, costs and everything else, so a whole result row
// can be reused; equal `hash`es mean the same function, which is what the topology proxies
// (NN-Mass, NN-Degree, DTMC) measure.
import type { Graph, TensorType } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';
import type { ArgSpec } from '../ops/types.js';
import { functionalView, ZERO, type FunctionalView } from '../analysis/topology.js';

/** cyrb53-style 53-bit string hash, as 14 hex digits. */
export function hashString(s: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return ((h2 >>> 0) & 0x1fffff).toString(16).padStart(6, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

// Labels are 53-bit integers mixed from 32-bit words (two murmur-style lanes), so hashing a
// candidate costs no string building; texts (op names, attributes, shapes) are hashed once.
// The lanes live in one module-level pair, not in a pair allocated per label: hashing runs
// for every node of every candidate, and those pairs were a large share of the garbage. A
// label fed into another while it is being mixed is almost always cached; computing one that
// is not goes through `nested`, which saves and restores the lanes.
// (A typed array, not two `let`s: a module variable holding a 32-bit value outside the small-
// integer range is boxed on every store.)
const lanes = new Int32Array(2);
function mixInit(seed: number): void {
  lanes[0] = 0x9e3779b9 ^ seed;
  lanes[1] = 0x85ebca6b ^ seed;
}
function mixWord(w: number): void {
  const a = Math.imul(lanes[0]! ^ w, 0xcc9e2d51);
  lanes[0] = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
  const b = Math.imul(lanes[1]! ^ w, 0x85ebca6b);
  lanes[1] = Math.imul((b << 13) | (b >>> 19), 0xc2b2ae35);
}
/** Mixes a 53-bit label in as two words. */
function mixLabel(x: number): void {
  mixWord(x >>> 0);
  mixWord((x / 4294967296) >>> 0);
}
function finish(): number {
  const h0 = lanes[0]!;
  const h1 = lanes[1]!;
  let a = h0 ^ (h0 >>> 16);
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  let b = h1 ^ (h1 >>> 16);
  b = Math.imul(b ^ a, 0xc2b2ae35);
  b ^= b >>> 16;
  return (b & 0x1fffff) * 4294967296 + (a >>> 0);
}

/** Runs a cold-path label computation inside another label's mixing, keeping its lanes. */
function nested(compute: () => number): number {
  const a = lanes[0]!;
  const b = lanes[1]!;
  const v = compute();
  lanes[0] = a;
  lanes[1] = b;
  return v;
}

const textIds = new Map<string, number>();
function textLabel(t: string): number {
  let v = textIds.get(t);
  if (v === undefined) {
    v = nested(() => {
      mixInit(7);
      for (let i = 0; i < t.length; i++) mixWord(t.charCodeAt(i));
      return finish();
    });
    textIds.set(t, v);
  }
  return v;
}
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Mixes an attribute value in: numbers by their float64 bits, strings by label, lists item by item. */
function mixAttr(v: unknown): void {
  if (typeof v === 'number') {
    bits[0] = v;
    mixWord(words[0]!);
    mixWord(words[1]!);
  } else if (typeof v === 'string') mixLabel(textLabel(v));
  else if (typeof v === 'boolean') mixWord(v ? 0x7e57 : 0xfa15e);
  else if (v === null || v === undefined) mixWord(0x9a11);
  else if (Array.isArray(v)) {
    mixWord(0x1157 + v.length);
    for (const x of v) mixAttr(x);
  }
}
/**
 * The label of an op's attributes: key by key in sorted order. Attribute objects are shared
 * by the nodes a memoised block expansion replays, so the label is cached per object.
 */
const attrLabels = new WeakMap<object, number>();
function attrsLabel(a: object, op: string): number {
  let v = attrLabels.get(a);
  if (v === undefined) attrLabels.set(a, (v = nested(() => attrsText(a, op))));
  return v;
}
/** Each op's arguments added after hashes were published (ArgSpec.addedLater), looked up once. */
const addedLater = new Map<string, readonly ArgSpec[]>();
function laterArgs(op: string): readonly ArgSpec[] {
  let v = addedLater.get(op);
  if (v === undefined) addedLater.set(op, (v = lookupOp(op)?.args.filter((s) => s.addedLater) ?? []));
  return v;
}
function attrsText(a: object, op: string): number {
  const later = laterArgs(op);
  const keys = Object.keys(a).filter(
    (k) => !later.some((s) => s.name === k && (a as Record<string, unknown>)[k] === s.default),
  );
  if (keys.length > 1) keys.sort();
  const keyLabels = keys.map(textLabel);
  mixInit(9);
  keys.forEach((k, i) => {
    mixLabel(keyLabels[i]!);
    mixAttr((a as Record<string, unknown>)[k]);
  });
  return finish();
}

/** The label of a tensor type, cached per type object (replayed nodes share theirs). */
const typeLabels = new WeakMap<TensorType, number>();
function typeLabel(t: TensorType): number {
  let v = typeLabels.get(t);
  if (v === undefined) {
    v = nested(() => {
      const dims = t.shape.map((d) => (typeof d === 'number' ? d : textLabel(d) >>> 0));
      mixInit(8);
      for (const d of dims) mixWord(d);
      mixWord(t.dtype === 'f32' ? 1 : t.dtype === 'f16' ? 2 : 3);
      return finish();
    });
    typeLabels.set(t, v);
  }
  return v;
}
const byNumber = (a: number, b: number) => a - b;
const SUM = textLabel('sum');
const ZERO_LABEL = textLabel('zero');

function zeroOf(t: TensorType): number {
  mixInit(2);
  mixLabel(ZERO_LABEL);
  mixLabel(typeLabel(t));
  return finish();
}

// Labels are kept in Float64Arrays reused from call to call: a 53-bit label is not a small
// integer, and in a plain array or a short-lived list every one would be a boxed number.
let labelBuf = new Float64Array(1024);
let nodeBuf = new Float64Array(1024);
let inBuf = new Float64Array(16);
function fit(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return a.length >= n ? a : new Float64Array(Math.max(n, 2 * a.length));
}

/** The canonical hash of a functional view (see the file comment), as 14 hex digits. */
export function canonicalHash(view: FunctionalView): string {
  const g = view.graph;
  const label = (labelBuf = fit(labelBuf, g.values.length));
  const nodeLabels = (nodeBuf = fit(nodeBuf, view.live.length));
  let count = 0;
  g.inputs.forEach((v, i) => {
    mixInit(1);
    mixWord(i);
    mixLabel(typeLabel(g.values[v]!.type));
    label[v] = finish();
  });
  // Terms of a sum: an add whose only use is another add is spliced into it.
  const terms = new Map<number, number[]>();
  const sums: number[] = [];
  const spliced = new Set<number>();
  for (const n of view.live) {
    const ins = view.inputs[n.id]!;
    const inLabels = (inBuf = fit(inBuf, ins.length));
    for (let i = 0; i < ins.length; i++) {
      const v = ins[i]!;
      inLabels[i] = v === ZERO ? zeroOf(g.values[n.inputs[i]!]!.type) : label[v]!;
    }
    const out = n.outputs[0]!;
    if (n.op === 'add' && n.outputs.length === 1) {
      // A plain array of doubles (a small typed array is a far bigger object).
      const t: number[] = [];
      for (let i = 0; i < ins.length; i++) {
        const v = ins[i]!;
        const inner = v === ZERO || view.uses[v] !== 1 ? undefined : terms.get(v);
        if (inner) {
          for (const x of inner) t.push(x);
          spliced.add(v);
        } else t.push(inLabels[i]!);
      }
      t.sort(byNumber);
      terms.set(out, t);
      mixInit(3);
      mixLabel(SUM);
      mixLabel(typeLabel(g.values[out]!.type));
      for (let i = 0; i < t.length; i++) mixLabel(t[i]!);
      label[out] = finish();
      sums.push(out);
      continue;
    }
    if (lookupOp(n.op)!.props.commutative) inLabels.subarray(0, ins.length).sort();
    mixInit(4);
    mixLabel(textLabel(n.op));
    mixLabel(attrsLabel(n.attrs, n.op));
    // Parameters by their shapes (their dtype is f32 throughout).
    for (let i = n.dataInputs; i < n.inputs.length; i++) {
      const shape = g.values[n.inputs[i]!]!.type.shape;
      mixWord(0x5a + shape.length);
      for (const d of shape) mixWord(typeof d === 'number' ? d : textLabel(d) >>> 0);
    }
    for (let i = 0; i < ins.length; i++) mixLabel(inLabels[i]!);
    const base = finish();
    nodeLabels[count++] = base;
    if (n.outputs.length === 1) label[out] = base;
    else
      for (let i = 0; i < n.outputs.length; i++) {
        mixInit(5);
        mixLabel(base);
        mixWord(i);
        label[n.outputs[i]!] = finish();
      }
  }
  for (const v of sums) if (!spliced.has(v)) nodeLabels[count++] = label[v]!;
  mixInit(6);
  for (let i = 0; i < view.outputs.length; i++) {
    const v = view.outputs[i]!;
    mixLabel(v === ZERO ? zeroOf(g.values[g.outputs[i]!.value]!.type) : label[v]!);
  }
  mixWord(0xffffffff);
  const sorted = nodeLabels.subarray(0, count).sort();
  for (let i = 0; i < count; i++) mixLabel(sorted[i]!);
  const x = finish();
  return (
    Math.floor(x / 4294967296)
      .toString(16)
      .padStart(6, '0') + (x % 4294967296).toString(16).padStart(8, '0')
  );
}

/** The functional hash of a graph: what the network computes (see the file comment). */
export function functionHash(g: Graph, view: FunctionalView = functionalView(g)): string {
  return canonicalHash(view);
}

/** The hash of the graph as built: equal graph hashes mean equal costs and parameters. */
export function graphHash(g: Graph): string {
  return canonicalHash(functionalView(g, false));
}
