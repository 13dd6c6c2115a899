// What each kernel of a plan computes and moves, for a roofline: the FLOPs of the IR nodes it
// fuses (each op's documented count, as `mdl summary` gives them; a node a kernel recomputes
// inline is counted in every kernel that computes it) and the bytes of the tensors it binds
// (the planner's `bound`: read, and written).
import { summarize } from '../analysis/summary.js';
import type { Graph } from '../ir/types.js';
import type { Dispatch } from './plan.js';

export interface DispatchCost {
  readonly flops: number;
  readonly bytes: number;
}

export function dispatchCosts(
  g: Graph,
  dispatches: readonly Dispatch[],
  bind: Readonly<Record<string, number>>,
): DispatchCost[] {
  const flopsOf = new Map(summarize(g, bind).layers.map((l) => [l.name, l.flops]));
  return dispatches.map((d) => ({
    flops: d.nodes.reduce((s, name) => s + (flopsOf.get(name) ?? 0), 0),
    bytes: d.bound.read + d.bound.written,
  }));
}
