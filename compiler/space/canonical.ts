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
import type { Graph, Node, TensorType } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';
import type { ArgSpec } from '../ops/types.js';
import { functionalView, ZERO, type FunctionalView } from '../analysis/topology.js';
import { cacheSlot } from '../ir/cache-slot.js';

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
const attrLabels = cacheSlot<number>('attrs label');
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
const typeLabels = cacheSlot<number>('type label');
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
/**
 * Sorts a sum's terms ascending. Most sums have two or three: an insertion sort costs a few
 * comparisons where `Array.prototype.sort` with a comparator costs its set-up, which was most of
 * labelling a NAS cell's sums.
 */
function sortTerms(t: number[]): void {
  if (t.length > 16) {
    t.sort(byNumber);
    return;
  }
  for (let i = 1; i < t.length; i++) {
    const x = t[i]!;
    let j = i - 1;
    while (j >= 0 && t[j]! > x) {
      t[j + 1] = t[j]!;
      j--;
    }
    t[j + 1] = x;
  }
}
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
let segmentBuf = new Float64Array(1024);
let inBuf = new Float64Array(16);
function fit(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return a.length >= n ? a : new Float64Array(Math.max(n, 2 * a.length));
}

/** The labels the final hash sorts: every live node's, and every sum's not spliced into another. */
let nodeLabels = new Float64Array(1024);
let nodeCount = 0;
function pushNodeLabel(x: number): void {
  if (nodeCount === nodeLabels.length) {
    const bigger = new Float64Array(2 * nodeLabels.length);
    bigger.set(nodeLabels);
    nodeLabels = bigger;
  }
  nodeLabels[nodeCount++] = x;
}

/**
 * A folded block call in a coarse graph (compiler/space/incremental.ts): the view of its
 * expansion alone, with value 0 its input, prepared once by `segmentLabeler`. Its nodes' labels
 * are computed from the label its input has in the whole graph, exactly as labelNodes would
 * compute them in the expanded graph: every node's op, attributes and parameter shapes are
 * mixed once, into the lanes kept as its prefix, and only its inputs' labels per candidate.
 */
export interface SegmentLabeler {
  readonly values: number;
  /** The value its output amounts to. */
  readonly output: number;
  /** Per live node in order: 0 plain (one output), 1 plain (several), 2 a sum. */
  readonly kind: Uint8Array;
  /** Per live node: the lanes after everything but the inputs. */
  readonly prefix: Int32Array;
  /** Per live node: its data inputs after aliasing (ZERO kept), and their zero labels. */
  readonly inputs: readonly (readonly number[])[];
  readonly zeros: readonly (readonly number[])[];
  readonly outputs: readonly (readonly number[])[];
  readonly commutative: Uint8Array;
  /** Per value: its live uses (for splicing sums). */
  readonly uses: readonly number[];
}

export type SegmentViews = (node: number) => SegmentLabeler | undefined;

/** Prepares a segment's view for labelling (see SegmentLabeler). */
export function segmentLabeler(view: FunctionalView): SegmentLabeler {
  const g = view.graph;
  const count = view.live.length;
  const kind = new Uint8Array(count);
  const prefix = new Int32Array(2 * count);
  const commutative = new Uint8Array(count);
  const inputs: number[][] = [];
  const zeros: number[][] = [];
  const outputs: number[][] = [];
  view.live.forEach((n, k) => {
    const ins = view.inputs[n.id]!;
    inputs.push([...ins]);
    zeros.push(ins.map((v, i) => (v === ZERO ? zeroOf(g.values[n.inputs[i]!]!.type) : 0)));
    outputs.push([...n.outputs]);
    if (n.op === 'add' && n.outputs.length === 1) {
      kind[k] = 2;
      mixInit(3);
      mixLabel(SUM);
      mixLabel(typeLabel(g.values[n.outputs[0]!]!.type));
    } else {
      kind[k] = n.outputs.length === 1 ? 0 : 1;
      commutative[k] = lookupOp(n.op)!.props.commutative ? 1 : 0;
      const op = textLabel(n.op);
      const attrs = attrsLabel(n.attrs, n.op);
      mixInit(4);
      mixLabel(op);
      mixLabel(attrs);
      for (let i = n.dataInputs; i < n.inputs.length; i++) {
        const shape = g.values[n.inputs[i]!]!.type.shape;
        mixWord(0x5a + shape.length);
        for (const d of shape) mixWord(typeof d === 'number' ? d : textLabel(d) >>> 0);
      }
    }
    prefix[2 * k] = lanes[0]!;
    prefix[2 * k + 1] = lanes[1]!;
  });
  return {
    values: g.values.length,
    output: view.outputs[0]!,
    kind,
    prefix,
    inputs,
    zeros,
    outputs,
    commutative,
    uses: view.uses,
  };
}

/** labelNodes for a prepared segment whose input (value 0) has label `input`; its output's label. */
function labelSegment(s: SegmentLabeler, input: number): number {
  const label = (segmentBuf = fit(segmentBuf, s.values));
  label[0] = input;
  // Made only for a segment with sums: most (a NAS edge's op) have none, and a candidate labels a hundred.
  let terms: Map<number, number[]> | undefined;
  let sums: number[] | undefined;
  let spliced: Set<number> | undefined;
  for (let k = 0; k < s.kind.length; k++) {
    const ins = s.inputs[k]!;
    const z = s.zeros[k]!;
    const out = s.outputs[k]!;
    if (s.kind[k] === 2) {
      terms ??= new Map();
      sums ??= [];
      spliced ??= new Set();
      const t: number[] = [];
      for (let i = 0; i < ins.length; i++) {
        const v = ins[i]!;
        const inner = v === ZERO || s.uses[v] !== 1 ? undefined : terms.get(v);
        if (inner) {
          for (const x of inner) t.push(x);
          spliced.add(v);
        } else t.push(v === ZERO ? z[i]! : label[v]!);
      }
      sortTerms(t);
      terms.set(out[0]!, t);
      lanes[0] = s.prefix[2 * k]!;
      lanes[1] = s.prefix[2 * k + 1]!;
      for (let i = 0; i < t.length; i++) mixLabel(t[i]!);
      label[out[0]!] = finish();
      sums.push(out[0]!);
      continue;
    }
    const inLabels = (inBuf = fit(inBuf, ins.length));
    for (let i = 0; i < ins.length; i++) {
      const v = ins[i]!;
      inLabels[i] = v === ZERO ? z[i]! : label[v]!;
    }
    if (s.commutative[k]) inLabels.subarray(0, ins.length).sort();
    lanes[0] = s.prefix[2 * k]!;
    lanes[1] = s.prefix[2 * k + 1]!;
    for (let i = 0; i < ins.length; i++) mixLabel(inLabels[i]!);
    const base = finish();
    pushNodeLabel(base);
    if (s.kind[k] === 0) label[out[0]!] = base;
    else
      for (let i = 0; i < out.length; i++) {
        mixInit(5);
        mixLabel(base);
        mixWord(i);
        label[out[i]!] = finish();
      }
  }
  if (sums) for (const v of sums) if (!spliced!.has(v)) pushNodeLabel(label[v]!);
  return label[s.output]!;
}

/** Mixes what a sum's label holds besides its terms: the op and the result's type. */
function sumPrefix(g: Graph, out: number): void {
  mixInit(3);
  mixLabel(SUM);
  mixLabel(typeLabel(g.values[out]!.type));
}

/** Mixes what a node's label holds besides its inputs' labels: op, attributes, parameters by their shapes (f32 throughout). */
function nodePrefix(g: Graph, n: Node): void {
  mixInit(4);
  mixLabel(textLabel(n.op));
  mixLabel(attrsLabel(n.attrs, n.op));
  for (let i = n.dataInputs; i < n.inputs.length; i++) {
    const shape = g.values[n.inputs[i]!]!.type.shape;
    mixWord(0x5a + shape.length);
    for (const d of shape) mixWord(typeof d === 'number' ? d : textLabel(d) >>> 0);
  }
}

/**
 * A graph hashed many times (a candidate trace's skeleton, compiler/space/traced.ts): each
 * node's lanes after its prefix (nodePrefix, or sumPrefix for a one-output add), and whether
 * its inputs commute, so that each hash mixes only the inputs' labels.
 */
interface Prepared {
  readonly lanes: Int32Array;
  readonly commutative: Uint8Array;
}
const preparedGraphs = cacheSlot<Prepared>('prepared graph');

function prepare(g: Graph): Prepared {
  let p = preparedGraphs.get(g);
  if (p) return p;
  const prefixes = new Int32Array(2 * g.nodes.length);
  const commutative = new Uint8Array(g.nodes.length);
  for (const n of g.nodes) {
    const op = lookupOp(n.op);
    // A folded segment node is labelled by its own labeller.
    if (!op) continue;
    if (n.op === 'add' && n.outputs.length === 1) sumPrefix(g, n.outputs[0]!);
    else {
      commutative[n.id] = op.props.commutative ? 1 : 0;
      nodePrefix(g, n);
    }
    prefixes[2 * n.id] = lanes[0]!;
    prefixes[2 * n.id + 1] = lanes[1]!;
  }
  preparedGraphs.set(g, (p = { lanes: prefixes, commutative }));
  return p;
}

/**
 * Labels the live nodes of a view: `label[v]` for each value they make (the graph's inputs must
 * be labelled already), and their node labels pushed for the final sort.
 */
function labelNodes(view: FunctionalView, label: Float64Array, segments?: SegmentViews, prepared?: Prepared): void {
  const g = view.graph;
  // Terms of a sum: an add whose only use is another add is spliced into it.
  const terms = new Map<number, number[]>();
  const sums: number[] = [];
  const spliced = new Set<number>();
  for (const n of view.live) {
    const ins = view.inputs[n.id]!;
    const out = n.outputs[0]!;
    const seg = segments?.(n.id);
    if (seg) {
      label[out] = labelSegment(seg, label[ins[0]!]!);
      continue;
    }
    const inLabels = (inBuf = fit(inBuf, ins.length));
    for (let i = 0; i < ins.length; i++) {
      const v = ins[i]!;
      inLabels[i] = v === ZERO ? zeroOf(g.values[n.inputs[i]!]!.type) : label[v]!;
    }
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
      sortTerms(t);
      terms.set(out, t);
      if (prepared) {
        lanes[0] = prepared.lanes[2 * n.id]!;
        lanes[1] = prepared.lanes[2 * n.id + 1]!;
      } else sumPrefix(g, out);
      for (let i = 0; i < t.length; i++) mixLabel(t[i]!);
      label[out] = finish();
      sums.push(out);
      continue;
    }
    if (prepared) {
      if (prepared.commutative[n.id]) inLabels.subarray(0, ins.length).sort();
      lanes[0] = prepared.lanes[2 * n.id]!;
      lanes[1] = prepared.lanes[2 * n.id + 1]!;
    } else {
      if (lookupOp(n.op)!.props.commutative) inLabels.subarray(0, ins.length).sort();
      nodePrefix(g, n);
    }
    for (let i = 0; i < ins.length; i++) mixLabel(inLabels[i]!);
    const base = finish();
    pushNodeLabel(base);
    if (n.outputs.length === 1) label[out] = base;
    else
      for (let i = 0; i < n.outputs.length; i++) {
        mixInit(5);
        mixLabel(base);
        mixWord(i);
        label[n.outputs[i]!] = finish();
      }
  }
  for (const v of sums) if (!spliced.has(v)) pushNodeLabel(label[v]!);
}

/**
 * The canonical hash of a functional view (see the file comment), as 14 hex digits. With
 * `segments`, the view is of a coarse graph whose segment nodes stand for their expansions.
 * `persistent`: the graph will be hashed again (under other views), so what its nodes' labels
 * hold besides their inputs is prepared once and kept with it.
 */
export function canonicalHash(view: FunctionalView, segments?: SegmentViews, persistent = false): string {
  const g = view.graph;
  const label = (labelBuf = fit(labelBuf, g.values.length));
  nodeCount = 0;
  g.inputs.forEach((v, i) => {
    mixInit(1);
    mixWord(i);
    mixLabel(typeLabel(g.values[v]!.type));
    label[v] = finish();
  });
  labelNodes(view, label, segments, persistent ? prepare(g) : undefined);
  mixInit(6);
  for (let i = 0; i < view.outputs.length; i++) {
    const v = view.outputs[i]!;
    mixLabel(v === ZERO ? zeroOf(g.values[g.outputs[i]!.value]!.type) : label[v]!);
  }
  mixWord(0xffffffff);
  const sorted = nodeLabels.subarray(0, nodeCount).sort();
  for (let i = 0; i < nodeCount; i++) mixLabel(sorted[i]!);
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
