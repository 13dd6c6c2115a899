// NN-Mass and NN-Degree of a search-space candidate composed from its segments (incremental.ts),
// exactly as the analyses of its full graph compute them (analysis/nn-mass.ts, nn-degree.ts).
//
// Both are sums over parts that a segment holds whole, when its input and output are single
// values and the incremental analysis's conditions hold (no zero input, no sum spliced across
// its boundary):
// - the layers (live conv/linear), in order, which the cells are runs of by resolution: a
//   segment's layers are a contiguous run of the candidate's, in the same order;
// - the residual blocks: a block's join (an add) inside a segment has its fork inside it or at
//   its input, since the input dominates everything the segment computes, and its longest layer
//   path runs inside it; so the segment's expansion, alone, finds the same blocks with the same
//   masses (the input's channels are its type's).
// - a residual join at the top level (between segments, as in a NAS cell whose edges are the
//   segments) has its fork at the top level too: a value inside a segment that dominates a
//   value after it is dominated by the segment's output, its only way out. Where each segment
//   on its paths has its output dominated by its input (or a zero input), the dominators among
//   top-level values are those of the full graph, and a path through a segment is extended by
//   the segment's own longest path from input to output (nn-mass.ts's PathThrough).
// The cells' own (concatenation) masses are zero unless a concatenation or a channel slice is
// live somewhere: those candidates are analysed in full, as are those with a segment whose
// output its input does not dominate. Parts are summed one by one in the candidate's order,
// so the floating-point totals are bit for bit the full analyses' (test/space/incremental.test.ts).
import { nnDegreeOf, residualJoin, type ResidualJoin } from '../analysis/nn-degree.js';
import { layerPath, nnMassTotal, residualBlocks, type PathInfo } from '../analysis/nn-mass.js';
import {
  channels,
  commonDominator,
  commonWidth,
  dominators,
  LAYER_OPS,
  resolutionKey,
  ZERO,
  type FunctionalView,
} from '../analysis/topology.js';
import type { Graph, Node } from '../ir/types.js';

/** What a segment contributes to NN-Mass and NN-Degree, from its expansion alone. */
export interface SegmentTopology {
  /** Its live layers in order: output resolution and width. */
  readonly layers: readonly { readonly resolution: string; readonly width: number }[];
  /** Its residual blocks in order: official-formula mass and where the join lands. */
  readonly blocks: readonly { readonly mass: number; readonly join: ResidualJoin }[];
  /** A live concatenation or slice: the cells' concatenation skips need the whole graph. */
  readonly dense: boolean;
  /** Its longest path of layers from input to output; null when its output does not depend on its input. */
  readonly path: PathInfo | null;
  /** Every path to its output passes its input. */
  readonly dominated: boolean;
}

/** Ops that could carry channels around a layer (NN-Mass's concatenation skips). */
const DENSE_OPS = new Set(['concat', 'slice']);

function layerOf(g: Graph, n: Node): { resolution: string; width: number } {
  const o = n.outputs[0]!;
  return { resolution: resolutionKey(g, o), width: channels(g, o) };
}

/** The topology of a segment's expansion (its functional view, input as graph input 0). */
export function segmentTopology(view: FunctionalView): SegmentTopology {
  const g = view.graph;
  const layers: { resolution: string; width: number }[] = [];
  let dense = false;
  for (const n of view.live) {
    if (LAYER_OPS.has(n.op)) layers.push(layerOf(g, n));
    if (DENSE_OPS.has(n.op)) dense = true;
  }
  const idom = dominators(view);
  const blocks = residualBlocks(view, idom).map((b) => ({ mass: b.mass, join: residualJoin(g, b) }));
  const x = g.inputs[0]!;
  const out = view.outputs[0]!;
  const path = out === ZERO ? null : (layerPath(view, x, out) ?? null);
  const dominated = out !== ZERO && commonDominator(idom, out, x) === x;
  return { layers, blocks, dense, path, dominated };
}

/**
 * NN-Mass and NN-Degree of a coarse graph whose segment nodes `topologyOf` describes, from its
 * functional view; undefined where a part needs the whole graph (see the file comment).
 */
export function composeTopology(
  view: FunctionalView,
  topologyOf: (node: number) => SegmentTopology | undefined,
): { readonly nn_mass: number; readonly nn_degree: number } | undefined {
  const g = view.graph;
  const layers: { resolution: string; width: number }[] = [];
  const blocks: { mass: number; join: ResidualJoin }[] = [];
  // Residual joins at the top level, by their add's node.
  let joins: Map<number, { mass: number; join: ResidualJoin }> | undefined;
  if (view.live.some((n) => n.op === 'add' && !topologyOf(n.id))) {
    for (const n of view.live) {
      const t = topologyOf(n.id);
      if (t && !t.dominated && view.inputs[n.id]![0] !== ZERO) return undefined;
    }
    const through = (id: number) => {
      const t = topologyOf(id);
      return t ? t.path : undefined;
    };
    joins = new Map(
      residualBlocks(view, dominators(view), through).map((b) => [b.node, { mass: b.mass, join: residualJoin(g, b) }]),
    );
  }
  for (const n of view.live) {
    const t = topologyOf(n.id);
    if (t) {
      if (t.dense) return undefined;
      for (const l of t.layers) layers.push(l);
      for (const b of t.blocks) blocks.push(b);
      continue;
    }
    if (DENSE_OPS.has(n.op)) return undefined;
    const join = joins?.get(n.id);
    if (join) blocks.push(join);
    if (LAYER_OPS.has(n.op)) layers.push(layerOf(g, n));
  }
  // Cells: maximal runs of layers at one resolution (analysis/topology.ts's `cells`).
  const cells: { resolution: string; width: number; depth: number; skip: number; mass: number }[] = [];
  for (let i = 0; i < layers.length;) {
    const resolution = layers[i]!.resolution;
    let j = i;
    while (j < layers.length && layers[j]!.resolution === resolution) j++;
    const widths = layers.slice(i, j).map((l) => l.width);
    // No concatenation skips: the density and the cell's own mass are zero.
    cells.push({ resolution, width: commonWidth(widths), depth: j - i, skip: 0, mass: 0 });
    i = j;
  }
  return {
    nn_mass: nnMassTotal(cells, blocks),
    nn_degree: nnDegreeOf(
      cells,
      blocks.map((b) => b.join),
    ).total,
  };
}
