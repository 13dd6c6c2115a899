// NN-Mass and NN-Degree of a trace's candidates, kept per pattern of their segments.
//
// incremental-topology.ts composes a candidate's NN-Mass and NN-Degree from its coarse view and
// its segments' parts. What it reads of a segment is what the segment's expansion folds to (the
// view) and its topology parts (layers by resolution and width, residual blocks' masses and
// joins, its longest path, whether its input dominates it), none of which holds a name, a
// kernel size or anything else the candidates of a space vary besides. So candidates of one
// skeleton whose segments agree in those, node by node, have the same NN-Mass and NN-Degree,
// though their functions differ (a 1×1 convolution in place of a 3×3 one): a NAS-Bench-201
// skeleton's 5,650 distinct functions have far fewer topology patterns, and each is composed once.
import type { Graph } from '../ir/types.js';
import { cacheSlot } from '../ir/cache-slot.js';
import type { SegmentTopology } from './incremental-topology.js';

/** What a segment shows the topology composition: how it folds, and its parts. */
export interface TopologyFacts {
  readonly out: 'zero' | 'input' | 'self';
  readonly inputUses: number;
  /** Its topology class, once asked for. */
  topologyClass?: number;
}

type Values = { readonly nn_mass: number; readonly nn_degree: number } | undefined;

const classIds = new Map<string, number>();
/** Patterns kept per skeleton; past this, candidates are composed each time (the results are small). */
const MAX_PATTERNS = 1 << 16;
const memos = cacheSlot<Map<string, Values>>('topology patterns');

function topologyClass<S extends TopologyFacts>(a: S, topologyOf: (a: S) => SegmentTopology): number {
  if (a.topologyClass !== undefined) return a.topologyClass;
  // The parts hold numbers and resolution keys only; JSON writes each double exactly.
  const key = `${a.out}:${a.inputUses}:${JSON.stringify(topologyOf(a))}`;
  let id = classIds.get(key);
  if (id === undefined) classIds.set(key, (id = classIds.size));
  return (a.topologyClass = id);
}

/**
 * The values `compose` gives for a candidate of skeleton `g` whose segments stand as `picked`
 * (by node id, as its view picked them), looked up by their topology classes first.
 */
export function memoisedTopology<S extends TopologyFacts>(
  g: Graph,
  picked: readonly (S | undefined)[],
  topologyOf: (a: S) => SegmentTopology,
  compose: () => Values,
): Values {
  let memo = memos.get(g);
  if (!memo) memos.set(g, (memo = new Map()));
  let key = '';
  for (let id = 0; id < picked.length; id++) {
    const a = picked[id];
    if (a) key += `${topologyClass(a, topologyOf)},`;
  }
  if (memo.has(key)) return memo.get(key);
  const v = compose();
  if (memo.size < MAX_PATTERNS) memo.set(key, v);
  return v;
}

/** How many topology patterns are kept for skeleton `g` (tests check the memo serves several functions). */
export function topologyPatterns(g: Graph): number {
  return memos.get(g)?.size ?? 0;
}
