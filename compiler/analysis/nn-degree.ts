// NN-Degree (FLASH: Li, Mandal, Ogras, Marculescu, ACM TECS 2021) as an IR analysis.
//
// NN-Degree is the sum over cells of each cell's average node degree. FLASH published no code,
// and the formula below is the working definition in ../shared/research/methods.md, pending a
// check of Eq. (1) of arXiv 2108.00568:
//     g = Σ_c ḡ_c,   ḡ_c = w_c + t_c / d_c
// with w_c the cell's width in channels (its most common layer width), d_c its number of
// layers (conv/linear) and t_c the skip links inside it, counted in channels: the channels
// arriving at its layers by concatenation from non-adjacent layers (NN-Mass's t_L), plus, for
// every residual add in the cell, the channels it joins. Cells are the constant-resolution
// groups of topology.ts, the classifier included.
import type { Graph } from '../ir/types.js';
import { topologyParts } from './nn-mass.js';
import { functionalView, resolutionKey, type FunctionalView } from './topology.js';

export interface NnDegreeCell {
  readonly resolution: string;
  readonly width: number;
  readonly depth: number;
  readonly skipLinks: number;
  readonly degree: number;
}

export interface NnDegree {
  readonly total: number;
  readonly cells: readonly NnDegreeCell[];
  readonly definition: string;
}

export const NN_DEGREE_DEFINITION =
  'g = Σ_c (w_c + t_c/d_c), t_c = skip channels in cell c (working definition, methods.md §1)';

export function nnDegree(g: Graph, view: FunctionalView = functionalView(g)): NnDegree {
  const { cells: dense, blocks } = topologyParts(view);
  return nnDegreeOf(
    dense.map((c) => ({ resolution: c.resolution, width: c.width, depth: c.depth, skip: c.skip })),
    blocks.map((b) => residualJoin(g, b)),
  );
}

/** Where a residual block's join lands for NN-Degree: its resolution and the channels it joins. */
export interface ResidualJoin {
  readonly resolution: string;
  readonly channels: number;
  /** Layers on the block's longest path (a parameter-free block links nothing). */
  readonly layers: number;
}

export function residualJoin(g: Graph, b: { readonly node: number; readonly layers: number }): ResidualJoin {
  const out = g.nodes[b.node]!.outputs[0]!;
  const s = g.values[out]!.type.shape;
  const ch = (s.length === 4 ? s[1] : s[s.length - 1]) as number;
  return { resolution: resolutionKey(g, out), channels: ch, layers: b.layers };
}

/**
 * NN-Degree from its parts: the cells in order (their concatenation skips in `skip`) and the
 * residual joins in order. The full graph's analysis and the incremental analysis of a search
 * space's candidates (compiler/space/incremental.ts) both come here, so they sum alike.
 */
export function nnDegreeOf(
  dense: readonly {
    readonly resolution: string;
    readonly width: number;
    readonly depth: number;
    readonly skip: number;
  }[],
  joins: readonly ResidualJoin[],
): NnDegree {
  // Residual joins, attributed to the cell at their resolution.
  const addSkips = new Map<string, number>();
  for (const j of joins) {
    if (j.layers === 0) continue;
    addSkips.set(j.resolution, (addSkips.get(j.resolution) ?? 0) + j.channels);
  }
  const seen = new Set<string>();
  const cellsOut = dense.map((c) => {
    // A resolution can host several cells (rare); its residual links go to the first.
    const extra = seen.has(c.resolution) ? 0 : (addSkips.get(c.resolution) ?? 0);
    seen.add(c.resolution);
    const skipLinks = c.skip + extra;
    const degree = c.depth > 0 ? c.width + skipLinks / c.depth : 0;
    return { resolution: c.resolution, width: c.width, depth: c.depth, skipLinks, degree };
  });
  return { total: cellsOut.reduce((s, c) => s + c.degree, 0), cells: cellsOut, definition: NN_DEGREE_DEFINITION };
}
