// Incremental static analysis of search-space candidates. A candidate is elaborated coarsely
// (elaborate/segments.ts): each top-level block call of its model is one segment node, and
// the call's expansion is analysed once per distinct call (block, arguments, input type), not
// once per candidate. Candidates of a space share most of their cells with others (a mutated
// parent shares all but one; a NAS-Bench-201 candidate repeats its cell fifteen times). The
// memo already replays a repeated expansion instead of interpreting it again; what the segments
// save is building the whole graph and analysing it node by node: a segment's nodes are hashed
// from labels prepared once (canonical.ts's SegmentLabeler) and its costs are summed once. A
// cell not seen before is still interpreted, and that is most of what a candidate costs now
// (`npm run bench` compares both ways in the same run).
//
// From the cached analyses of its segments a candidate gets, exactly as from its full graph:
// - parameters, MACs and FLOPs: sums of integers, the segments' own and the top-level nodes';
// - its canonical hash (canonical.ts): the segments' nodes are labelled from the label their
//   input has in the candidate, over the functional view of the expansion alone, which is the
//   expansion's part of the whole graph's view when the conditions below hold;
// - the function-level proxies (NN-Mass, NN-Degree, …) from an earlier candidate with the same
//   hash; for a function not seen before, NN-Mass and NN-Degree composed from the segments'
//   parts (incremental-topology.ts).
// Where this does not apply the candidate is elaborated in full (`Fallback` says why), so a
// result is never an approximation: a graph-level proxy other than the cost sums is asked for;
// the candidate does not build; a function not seen before needs a function-level proxy other
// than those two, or a part of them that spans segments (a live concatenation, a residual join
// at the top level); a segment's input is zero in the functional view (its expansion would fold
// differently); or a sum would be spliced across a segment's boundary (an add whose only use is
// another add).
import { functionalView, ZERO, type FunctionalView } from '../analysis/topology.js';
import { replayTemplate } from '../elaborate/memo.js';
import { SEGMENT_OP, SegmentRecorder, segmentCache, type SegmentTemplate } from '../elaborate/segments.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, TensorType, ValueId } from '../ir/types.js';
import { NO_SPAN } from '../source.js';
import { cacheSlot } from '../ir/cache-slot.js';
import { canonicalHash, segmentLabeler, type SegmentLabeler } from './canonical.js';
import { composeTopology, segmentTopology, type SegmentTopology } from './incremental-topology.js';
import { paramCount, sumCosts } from './proxies.js';
import { memoisedTopology, type TopologyFacts } from './topology-memo.js';
import { digitsOf, sameChoices, type OpenSpace } from './space.js';

/** Why a candidate was elaborated in full. */
export type Fallback =
  | 'proxy needs the graph'
  | 'does not build'
  | 'new function'
  | 'sum across a segment'
  | 'costs not exact'
  | 'topology across segments'
  | 'not composed';

/** Proxies a candidate's segments give by sums; every other 'graph'-level proxy needs the graph. */
export const SUMMED = new Set(['params', 'macs', 'flops']);

/** What a candidate's analysis is asked for besides its hash and parameters. */
export interface Wanted {
  readonly macs: boolean;
  readonly flops: boolean;
  /** NN-Mass and NN-Degree may be asked for: segments prepare their parts when first analysed. */
  readonly topology?: boolean;
}

/** Function-level proxies a new function gets from its segments (incremental-topology.ts). */
export const COMPOSED = new Set(['nn_mass', 'nn_degree']);

/** The analysis of one segment's expansion, alone, with its input as the graph's value 0. */
export interface SegmentAnalysis extends TopologyFacts {
  /** Builds its expansion again (costs at other dims, NN-Mass's parts), its input zero if asked. */
  readonly build: (zeroInput?: boolean) => Graph;
  readonly labeler: SegmentLabeler;
  /** What its output amounts to: zero, its input unchanged, or something it computes. */
  readonly out: 'zero' | 'input' | 'self';
  /** Live uses of its input inside it. */
  readonly inputUses: number;
  /** Some live add takes its input as a term (it could splice the input's sum into its own). */
  readonly inputIntoAdd: boolean;
  /** Its output is a sum (an add), which an add after it could splice. */
  readonly outIsSum: boolean;
  readonly params: number;
  /** MACs and FLOPs by the dims they were counted at, each computed when first asked for. */
  readonly costs: KeptCosts;
  /** What it contributes to NN-Mass and NN-Degree, computed when first asked for. */
  topology?: SegmentTopology;
  /**
   * Its analysis where a candidate's view makes its input zero (a `none` edge before it): the
   * expansion folds as the full graph's would, made when first needed. Not for sums.
   */
  zeroed?: SegmentAnalysis;
}

/** A segment's input in the graph of its expansion alone: the graph's input, or zeros of its type. */
export function segmentInput(b: GraphBuilder, type: TensorType, zeroInput = false): ValueId {
  const x = b.addInput('x', type);
  return zeroInput ? b.addNode('zero', '§zero', [x], 1, [type], {}, NO_SPAN, []).outputs[0]! : x;
}

function zeroedOf(a: SegmentAnalysis): SegmentAnalysis {
  const build = () => a.build(true);
  return (a.zeroed ??= analyseGraph(build, build(), {}, '', { macs: false, flops: false }));
}

function segmentTopologyOf(a: SegmentAnalysis): SegmentTopology {
  return (a.topology ??= segmentTopology(functionalView(a.build())));
}

/** Analyses by what they analyse (a segment template, a kept expansion of a candidate trace). */
const analysed = cacheSlot<SegmentAnalysis>('segment analysis');

/** The expansion alone, built the way a replay builds it into a whole graph. */
function expansion(s: SegmentTemplate, zeroInput?: boolean): Graph {
  const b = new GraphBuilder('segment');
  const x = segmentInput(b, s.inType, zeroInput);
  const r = replayTemplate(b, s.template, 's', [], [x]);
  if (r?.t !== 'tensor') throw new Error('a segment template did not replay to one tensor');
  b.addOutput('y', r.id);
  return b.finish();
}

/**
 * The analysis of the expansion `build` makes, kept per `of`, with its costs at `bind` when
 * asked for. The expansion's graph is not kept (a search keeps thousands of these): a cost at
 * other dims builds it again.
 */
export function analyseSegment(
  of: object,
  build: (zeroInput?: boolean) => Graph,
  bind: Readonly<Record<string, number>>,
  key: string,
  want: Wanted,
): SegmentAnalysis {
  let a = analysed.get(of);
  if (!a) analysed.set(of, (a = analyseGraph(build, build(), bind, key, want)));
  return a;
}

function analyseGraph(
  build: (zeroInput?: boolean) => Graph,
  graph: Graph,
  bind: Readonly<Record<string, number>>,
  key: string,
  want: Wanted,
): SegmentAnalysis {
  const x = graph.inputs[0]!;
  const view = functionalView(graph);
  const o = view.outputs[0]!;
  const out = o === ZERO ? 'zero' : o === x ? 'input' : 'self';
  const producer = out === 'self' ? graph.nodes[view.producer[o]!] : undefined;
  const costs: KeptCosts = new Map();
  costs.set(key, {
    ...(want.macs ? { macs: sumCosts(graph, bind, true) } : {}),
    ...(want.flops ? { flops: sumCosts(graph, bind, false) } : {}),
  });
  return {
    build,
    labeler: segmentLabeler(view),
    out,
    inputUses: view.uses[x]!,
    inputIntoAdd: view.live.some((n) => n.op === 'add' && view.inputs[n.id]!.includes(x)),
    outIsSum: producer !== undefined && producer.op === 'add' && producer.outputs.length === 1,
    params: paramCount(graph),
    costs,
    // Its view is at hand: NN-Mass's and NN-Degree's parts cost little more now than later.
    ...(want.topology ? { topology: segmentTopology(view) } : {}),
  };
}

/** Costs kept by the dims they were counted at (`key`), each computed when first asked for. */
export type KeptCosts = Map<string, { macs?: number; flops?: number }>;

/** The MACs (or FLOPs) kept in `costs` at `key`, computed by `count` the first time. */
export function keptCost(costs: KeptCosts, key: string, macs: boolean, count: () => number): number {
  let c = costs.get(key);
  if (!c) costs.set(key, (c = {}));
  const kept = macs ? c.macs : c.flops;
  if (kept !== undefined) return kept;
  const x = count();
  if (macs) c.macs = x;
  else c.flops = x;
  return x;
}

function segmentCost(a: SegmentAnalysis, bind: Readonly<Record<string, number>>, key: string, macs: boolean): number {
  return keptCost(a.costs, key, macs, () => sumCosts(a.build(), bind, macs));
}

/** The MACs (or FLOPs) of a coarse graph's own nodes: its segments' are their analyses'. */
export function ownCost(g: Graph, bind: Readonly<Record<string, number>>, macs: boolean): number {
  return sumCosts(
    g,
    bind,
    macs,
    g.nodes.filter((n) => n.op !== SEGMENT_OP),
  );
}

/** Segment analyses by node id (undefined for a top-level node): sparse arrays, looked up per node. */
export type Segments = readonly (SegmentAnalysis | undefined)[];

/**
 * The functional view of a coarse graph: top-level nodes fold as in topology.ts, a segment as
 * its expansion does, with a zero input where the view makes it zero. `seg` is the segments'
 * analyses; `picked` gets those that stand for them in this view (zeroed where their input is
 * zero), for labels and topology. A string says why it cannot stand for the whole graph's view.
 */
export function coarseView(
  g: Graph,
  seg: Segments,
  picked: (SegmentAnalysis | undefined)[],
): FunctionalView | Extract<Fallback, 'sum across a segment'> {
  // Whether a segment could splice a sum across its boundary: most have no add at their ends.
  let sums = false;
  const view = functionalView(g, true, {
    fold(n, ins, zeros) {
      let s = seg[n.id];
      if (!s) return undefined;
      if (zeros > 0) s = zeroedOf(s);
      picked[n.id] = s;
      if (s.outIsSum || s.inputIntoAdd) sums = true;
      return s.out === 'zero' ? ZERO : s.out === 'input' ? ins[0]! : 'live';
    },
    inputUses: (n) => picked[n.id]?.inputUses,
  }) as FunctionalView;
  if (!sums) return view;
  const { live, inputs, uses, producer } = view;
  // Sums spliced across a boundary: the labels would combine terms of both sides.
  const isSum = (v: number): boolean => {
    const p = producer[v]!;
    if (p < 0) return false;
    const s = picked[p];
    return s ? s.outIsSum : g.nodes[p]!.op === 'add' && g.nodes[p]!.outputs.length === 1;
  };
  for (const n of live) {
    const ins = inputs[n.id]!;
    const s = picked[n.id];
    if (s) {
      if (s.inputIntoAdd && uses[ins[0]!] === 1 && isSum(ins[0]!)) return 'sum across a segment';
    } else if (n.op === 'add' && n.outputs.length === 1)
      for (const v of ins)
        if (v !== ZERO && uses[v] === 1 && producer[v]! >= 0 && picked[producer[v]!]?.outIsSum)
          return 'sum across a segment';
  }
  return view;
}

/**
 * `own` plus each item's `part` (a segment's analysis, a path group's), where every term and the
 * total are integers below 2^53 (they then add exactly in any order); undefined where one is not
 * (the full graph sums it).
 */
export function exactSum<T>(own: number, items: readonly T[], part: (x: T) => number): number | undefined {
  let total = own;
  let exact = Number.isSafeInteger(own);
  for (const a of items) {
    const x = part(a);
    exact &&= Number.isSafeInteger(x);
    total += x;
  }
  return exact && Number.isSafeInteger(total) ? total : undefined;
}

/** What a candidate sums over its segments: parameters, and the costs asked for. */
export type Part = 'params' | 'macs' | 'flops';

/** A segment's parameters, or its MACs or FLOPs at `bind` (kept per `key`). */
export function segmentPart(
  a: SegmentAnalysis,
  part: Part,
  bind: Readonly<Record<string, number>>,
  key: string,
): number {
  return part === 'params' ? a.params : segmentCost(a, bind, key, part === 'macs');
}

/** A candidate's parameters and the costs asked for, each summed exactly (exactSum), or why not. */
export type Sums = { readonly params: number; readonly macs?: number; readonly flops?: number } | 'costs not exact';

/** Sums from the coarse graph's own parts plus `total` of the rest; `total` gives undefined where not exact. */
export function sumsOf(
  own: { readonly params: number; readonly macs?: number; readonly flops?: number },
  total: (own: number, part: Part) => number | undefined,
): Sums {
  const params = total(own.params, 'params');
  const macs = own.macs === undefined ? undefined : total(own.macs, 'macs');
  const flops = own.flops === undefined ? undefined : total(own.flops, 'flops');
  if (
    params === undefined ||
    (own.macs !== undefined && macs === undefined) ||
    (own.flops !== undefined && flops === undefined)
  )
    return 'costs not exact';
  return { params, ...(macs !== undefined ? { macs } : {}), ...(flops !== undefined ? { flops } : {}) };
}

/** A candidate's values from its coarse view, segment analyses and sums, or why the full graph is needed. */
export function fromSegments(
  g: Graph,
  seg: Segments,
  sums: Sums,
  arch: string,
  /** The coarse graph is kept and analysed again (a trace's skeleton): canonical.ts prepares it once. */
  persistent = false,
): Incremental {
  const picked: (SegmentAnalysis | undefined)[] = new Array<SegmentAnalysis | undefined>(g.nodes.length);
  const view = coarseView(g, seg, picked);
  if (typeof view === 'string') return { fallback: view };
  if (sums === 'costs not exact') return { fallback: sums };
  const hash = canonicalHash(view, (id) => picked[id]?.labeler, persistent);
  return {
    arch,
    hash,
    topology: () => {
      const compose = () => composeTopology(view, (id) => (picked[id] ? segmentTopologyOf(picked[id]) : undefined));
      // A kept graph's candidates share topology patterns (topology-memo.ts).
      return persistent ? memoisedTopology(g, picked, segmentTopologyOf, compose) : compose();
    },
    ...sums,
  };
}

/** A candidate's static values from its segments, or why it must be elaborated in full. */
export type Incremental =
  | {
      /** The candidate's name in the results. */
      readonly arch: string;
      readonly hash: string;
      /** The sums asked for. */
      readonly params: number;
      readonly macs?: number;
      readonly flops?: number;
      /** NN-Mass and NN-Degree composed from the segments; undefined where that cannot be done. */
      readonly topology: () => { readonly nn_mass: number; readonly nn_degree: number } | undefined;
    }
  | { readonly fallback: Fallback };

/** Coarse instances of one space, with the segment analyses they share. */
export class IncrementalAnalyser {
  private readonly cache = segmentCache();
  /** Segments placed, and how many of them were analysed for the first time (the bench reports it). */
  readonly stats = { segments: 0, fresh: 0 };
  constructor(readonly space: OpenSpace) {}

  analyse(index: bigint, bind: (g: Graph) => Readonly<Record<string, number>>, want: Wanted): Incremental {
    const rec = new SegmentRecorder(this.cache);
    const inst = this.space.elaborator.instantiate(this.space.def, digitsOf(index, this.space.radix), rec);
    this.cache.endInstance();
    if (!inst.graph || !sameChoices(this.space, inst) || inst.diagnostics.some((d) => d.severity === 'error'))
      return { fallback: 'does not build' };
    const g = inst.graph;
    const b = bind(g);
    const key = Object.entries(b).join(';');
    const seg: (SegmentAnalysis | undefined)[] = new Array<SegmentAnalysis | undefined>(g.nodes.length);
    for (const [id, s] of rec.segments) {
      if (analysed.get(s) === undefined) this.stats.fresh++;
      this.stats.segments++;
      seg[id] = analyseSegment(s, (z) => expansion(s, z), b, key, want);
    }
    const analyses = seg.filter((a) => a !== undefined);
    const sums = sumsOf(
      {
        params: paramCount(g),
        ...(want.macs ? { macs: ownCost(g, b, true) } : {}),
        ...(want.flops ? { flops: ownCost(g, b, false) } : {}),
      },
      (own, part) => exactSum(own, analyses, (a) => segmentPart(a, part, b, key)),
    );
    return fromSegments(g, seg, sums, inst.name);
  }
}
