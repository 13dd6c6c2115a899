// Static analysis of search-space candidates composed from candidate traces (elaborate/
// compose.ts), without building their graphs. A candidate whose trace and kept expansions are
// known is its trace's skeleton (the layers every candidate of its signature shares, each chosen
// call one segment node) with its callees' expansions in place of the segments. Each expansion
// is analysed once, as a segment of incremental.ts (its parameters, costs, hash labeller and
// NN-Mass/NN-Degree parts), and each skeleton once for its own layers' sums; a candidate then
// costs the functional view of its skeleton and a labelling pass, not an elaboration.
//
// The rows are those of the full graphs, under incremental.ts's conditions (a segment whose input
// is zero, a sum spliced across a boundary and a non-integer cost fall back to the full graph),
// and where a candidate is not composed (its signature not traced yet, an expansion not made yet,
// anything compose.ts checks) the caller analyses its full graph, which makes what was missing.
import type { Composition, Skeleton } from '../elaborate/compose.js';
import { addNodes, type KeptExpansion } from '../elaborate/trace.js';
import { GraphBuilder } from '../ir/builder.js';
import { cacheSlot } from '../ir/cache-slot.js';
import type { Graph, TensorType } from '../ir/types.js';
import {
  analyseSegment,
  exactSum,
  fromSegments,
  segmentPart,
  sumsOf,
  type Part,
  keptCost,
  ownCost,
  segmentInput,
  type KeptCosts,
  type Incremental,
  type SegmentAnalysis,
  type Wanted,
} from './incremental.js';
import { paramCount } from './proxies.js';
import { digitsOf, sameChoices, type OpenSpace } from './space.js';

/** A kept expansion alone, its one input the graph's input. */
function expansionGraph(part: KeptExpansion, inType: TensorType, zeroInput?: boolean): Graph {
  const b = new GraphBuilder('segment');
  const x = segmentInput(b, inType, zeroInput);
  const made: number[] = [];
  if (!addNodes(b, part.nodes, (r) => (r < 0 ? x : made[r]!), made))
    throw new Error('a kept expansion names a layer twice');
  const r = part.result;
  if (r.t !== 'tensor' || r.id < 0) throw new Error('a composed expansion does not make its result');
  b.addOutput('y', made[r.id]!);
  return b.finish();
}

/** The analyses of a path group's expansions (compose.ts's GroupParts), in its steps' order. */
const groupAnalyses = cacheSlot<SegmentAnalysis[]>('path group analyses');

/**
 * Parameters and costs by the dims they were counted at, kept on what they sum: a skeleton's own
 * layers, or a path group's analyses (each sum exact, or NaN).
 */
interface KeptSums {
  readonly params: number;
  readonly costs: KeptCosts;
}
const keptSums = cacheSlot<KeptSums>('kept sums');

function sumsOn(o: object, params: () => number): KeptSums {
  let k = keptSums.get(o);
  if (!k) keptSums.set(o, (k = { params: params(), costs: new Map() }));
  return k;
}

function groupPart(
  as: readonly SegmentAnalysis[],
  part: Part,
  bind: Readonly<Record<string, number>>,
  key: string,
): number {
  const exact = (p: Part) => exactSum(0, as, (a) => segmentPart(a, p, bind, key)) ?? NaN;
  const k = sumsOn(as, () => exact('params'));
  return part === 'params' ? k.params : keptCost(k.costs, key, part === 'macs', () => exact(part));
}

function skeletonPart(s: Skeleton, part: Part, bind: Readonly<Record<string, number>>, key: string): number {
  const k = sumsOn(s, () => paramCount(s.graph));
  return part === 'params'
    ? k.params
    : keptCost(k.costs, key, part === 'macs', () => ownCost(s.graph, bind, part === 'macs'));
}

/** Candidates of one space analysed from their compositions; the others say why not. */
export class TracedAnalyser {
  /** Candidates analysed from compositions, and why the others were not composed. */
  readonly stats = { composed: 0, not: new Map<string, number>() };
  constructor(readonly space: OpenSpace) {}

  analyse(index: bigint, bind: (g: Graph) => Readonly<Record<string, number>>, want: Wanted): Incremental {
    const { instance, composition } = this.space.elaborator.composeCandidate(
      this.space.def,
      digitsOf(index, this.space.radix),
    );
    const same = sameChoices(this.space, instance);
    if (typeof composition === 'string' || !same) {
      const why = typeof composition === 'string' ? composition : 'choices that depend on one another';
      this.stats.not.set(why, (this.stats.not.get(why) ?? 0) + 1);
      return { fallback: 'not composed' };
    }
    this.stats.composed++;
    return analyseComposition(composition, instance.name, bind, want);
  }
}

/** A composed candidate's static values, or why its full graph is needed (see incremental.ts). */
export function analyseComposition(
  c: Composition<unknown>,
  arch: string,
  bindOf: (g: Graph) => Readonly<Record<string, number>>,
  want: Wanted,
): Incremental {
  const s = c.skeleton;
  const g = s.graph;
  const b = bindOf(g);
  const key = Object.entries(b).join(';');
  const seg: (SegmentAnalysis | undefined)[] = new Array<SegmentAnalysis | undefined>(g.nodes.length);
  // Looked up per path group: a candidate's 90 segments are six groups' analyses.
  const groups = c.groups.map((e) => {
    let as = groupAnalyses.get(e);
    if (!as)
      groupAnalyses.set(
        e,
        (as = e.parts.map((part, j) => {
          const inType = s.inTypes[e.steps[j]!]!;
          return analyseSegment(part, (z) => expansionGraph(part, inType, z), b, key, want);
        })),
      );
    for (let j = 0; j < as.length; j++) seg[s.segments[e.steps[j]!]!] = as[j];
    return as;
  });
  const sums = sumsOf(
    {
      params: skeletonPart(s, 'params', b, key),
      ...(want.macs ? { macs: skeletonPart(s, 'macs', b, key) } : {}),
      ...(want.flops ? { flops: skeletonPart(s, 'flops', b, key) } : {}),
    },
    // Each group's part is an exact sum (or NaN) kept on it: a candidate adds six, not 90.
    (own, part) => exactSum(own, groups, (as) => groupPart(as, part, b, key)),
  );
  return fromSegments(g, seg, sums, arch, true);
}
