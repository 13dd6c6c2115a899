// What each kernel of a plan computes and moves, for a roofline (roofline.ts): the FLOPs of the
// IR nodes it fuses (each op's documented count, as `mdl summary` gives them; a node a kernel
// recomputes inline is counted in every kernel that computes it) and the bytes it must move:
// the values its nodes take from outside it (graph inputs, parameters, other kernels' results)
// and the values it stores, each once and at its own size, so a slice or one tensor of a packed
// buffer counts as itself. The bytes are a lower bound on its traffic: a convolution that reads
// its input again for every filter tap moves more. Computed on request, off the planner's path.
import { summarize, valueBytes } from '../analysis/summary.js';
import type { Graph, ValueId } from '../ir/types.js';
import type { Dispatch } from './plan.js';

export interface DispatchCost {
  readonly flops: number;
  /** Bytes of the values the kernel takes from outside it. */
  readonly read: number;
  /** Bytes of the values it stores. */
  readonly written: number;
  /** read + written. */
  readonly bytes: number;
}

export function dispatchCosts(
  g: Graph,
  dispatches: readonly Dispatch[],
  bind: Readonly<Record<string, number>>,
): DispatchCost[] {
  const flopsOf = new Map(summarize(g, bind).layers.map((l) => [l.name, l.flops]));
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const bytesOf = valueBytes(g, bind);
  const sum = (vs: Iterable<ValueId>) => {
    let n = 0;
    for (const v of vs) n += bytesOf(v);
    return n;
  };
  return dispatches.map((d) => {
    const nodes = d.nodes.flatMap((name) => byName.get(name) ?? []);
    const inside = new Set(nodes.flatMap((n) => n.outputs));
    const read = sum(new Set(nodes.flatMap((n) => n.inputs.filter((v) => !inside.has(v)))));
    const written = sum(new Set(d.writes));
    return {
      flops: nodes.reduce((s, n) => s + (flopsOf.get(n.name) ?? 0), 0),
      read,
      written,
      bytes: read + written,
    };
  });
}
