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
import type { Graph } from '../ir/types.js';
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
function mixInit(seed: number): [number, number] {
  return [0x9e3779b9 ^ seed, 0x85ebca6b ^ seed];
}
function mixWord(h: [number, number], w: number): void {
  h[0] = Math.imul(h[0] ^ w, 0xcc9e2d51);
  h[0] = Math.imul((h[0] << 15) | (h[0] >>> 17), 0x1b873593);
  h[1] = Math.imul(h[1] ^ w, 0x85ebca6b);
  h[1] = Math.imul((h[1] << 13) | (h[1] >>> 19), 0xc2b2ae35);
}
/** Mixes a 53-bit label in as two words. */
function mixLabel(h: [number, number], x: number): void {
  mixWord(h, x >>> 0);
  mixWord(h, (x / 4294967296) >>> 0);
}
function finish(h: [number, number]): number {
  let a = h[0] ^ (h[0] >>> 16);
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  let b = h[1] ^ (h[1] >>> 16);
  b = Math.imul(b ^ a, 0xc2b2ae35);
  b ^= b >>> 16;
  return (b & 0x1fffff) * 4294967296 + (a >>> 0);
}

const textIds = new Map<string, number>();
function textLabel(t: string): number {
  let v = textIds.get(t);
  if (v === undefined) {
    const h = mixInit(7);
    for (let i = 0; i < t.length; i++) mixWord(h, t.charCodeAt(i));
    textIds.set(t, (v = finish(h)));
  }
  return v;
}
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Mixes an attribute value in: numbers by their float64 bits, strings by label, lists item by item. */
function mixAttr(h: [number, number], v: unknown): void {
  if (typeof v === 'number') {
    bits[0] = v;
    mixWord(h, words[0]!);
    mixWord(h, words[1]!);
  } else if (typeof v === 'string') mixLabel(h, textLabel(v));
  else if (typeof v === 'boolean') mixWord(h, v ? 0x7e57 : 0xfa15e);
  else if (v === null || v === undefined) mixWord(h, 0x9a11);
  else if (Array.isArray(v)) {
    mixWord(h, 0x1157 + v.length);
    for (const x of v) mixAttr(h, x);
  }
}
/**
 * The label of an op's attributes: key by key in sorted order. Attribute objects are shared
 * by the nodes a memoised block expansion replays, so the label is cached per object.
 */
const attrLabels = new WeakMap<object, number>();
function attrsLabel(a: object): number {
  let v = attrLabels.get(a);
  if (v === undefined) attrLabels.set(a, (v = attrsText(a)));
  return v;
}
function attrsText(a: object): number {
  const h = mixInit(9);
  const keys = Object.keys(a);
  if (keys.length > 1) keys.sort();
  for (const k of keys) {
    mixLabel(h, textLabel(k));
    mixAttr(h, (a as Record<string, unknown>)[k]);
  }
  return finish(h);
}

const COMMUTATIVE = new Set(['add', 'mul']);
const byNumber = (a: number, b: number) => a - b;
const SUM = textLabel('sum');
const ZERO_LABEL = textLabel('zero');

/** The canonical hash of a functional view (see the file comment), as 14 hex digits. */
export function canonicalHash(view: FunctionalView): string {
  const g = view.graph;
  const label: number[] = new Array<number>(g.values.length);
  const typeLabel = (v: number) => {
    const t = g.values[v]!.type;
    const h = mixInit(8);
    for (const d of t.shape) mixWord(h, typeof d === 'number' ? d : textLabel(d) >>> 0);
    mixWord(h, t.dtype === 'f32' ? 1 : t.dtype === 'f16' ? 2 : 3);
    return finish(h);
  };
  g.inputs.forEach((v, i) => {
    const h = mixInit(1);
    mixWord(h, i);
    mixLabel(h, typeLabel(v));
    label[v] = finish(h);
  });
  const zeroOf = (like: number) => {
    const h = mixInit(2);
    mixLabel(h, ZERO_LABEL);
    mixLabel(h, typeLabel(like));
    return finish(h);
  };
  const nodeLabels: number[] = [];
  // Terms of a sum: an add whose only use is another add is spliced into it.
  const terms = new Map<number, number[]>();
  const sums: [number, number][] = [];
  const spliced = new Set<number>();
  for (const n of view.live) {
    const ins = view.inputs[n.id]!;
    const inLabels = ins.map((v, i) => (v === ZERO ? zeroOf(n.inputs[i]!) : label[v]!));
    const out = n.outputs[0]!;
    if (n.op === 'add' && n.outputs.length === 1) {
      const t: number[] = [];
      ins.forEach((v, i) => {
        const inner = v === ZERO ? undefined : terms.get(v);
        if (inner && view.uses[v] === 1) {
          for (const x of inner) t.push(x);
          spliced.add(v);
        } else t.push(inLabels[i]!);
      });
      terms.set(out, t);
      const h = mixInit(3);
      mixLabel(h, SUM);
      mixLabel(h, typeLabel(out));
      for (const x of t.sort(byNumber)) mixLabel(h, x);
      const l = finish(h);
      label[out] = l;
      sums.push([out, l]);
      continue;
    }
    const h = mixInit(4);
    mixLabel(h, textLabel(n.op));
    mixLabel(h, attrsLabel(n.attrs));
    // Parameters by their shapes (their dtype is f32 throughout).
    for (let i = n.dataInputs; i < n.inputs.length; i++) {
      const shape = g.values[n.inputs[i]!]!.type.shape;
      mixWord(h, 0x5a + shape.length);
      for (const d of shape) mixWord(h, typeof d === 'number' ? d : textLabel(d) >>> 0);
    }
    for (const x of COMMUTATIVE.has(n.op) ? inLabels.sort(byNumber) : inLabels) mixLabel(h, x);
    const base = finish(h);
    nodeLabels.push(base);
    if (n.outputs.length === 1) label[out] = base;
    else
      n.outputs.forEach((o, i) => {
        const ho = mixInit(5);
        mixLabel(ho, base);
        mixWord(ho, i);
        label[o] = finish(ho);
      });
  }
  for (const [v, l] of sums) if (!spliced.has(v)) nodeLabels.push(l);
  const h = mixInit(6);
  view.outputs.forEach((v, i) => mixLabel(h, v === ZERO ? zeroOf(g.outputs[i]!.value) : label[v]!));
  mixWord(h, 0xffffffff);
  for (const x of nodeLabels.sort(byNumber)) mixLabel(h, x);
  const x = finish(h);
  return Math.floor(x / 4294967296).toString(16).padStart(6, '0') + (x % 4294967296).toString(16).padStart(8, '0');
}

/** The functional hash of a graph: what the network computes (see the file comment). */
export function functionHash(g: Graph, view: FunctionalView = functionalView(g)): string {
  return canonicalHash(view);
}

/** The hash of the graph as built: equal graph hashes mean equal costs and parameters. */
export function graphHash(g: Graph): string {
  return canonicalHash(functionalView(g, false));
}
