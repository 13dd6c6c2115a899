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
  // Residual joins, attributed to the cell at their resolution.
  const addSkips = new Map<string, number>();
  for (const b of blocks) {
    const node = g.nodes[b.node]!;
    if (b.layers === 0) continue;
    const out = node.outputs[0]!;
    const key = resolutionKey(g, out);
    const s = g.values[out]!.type.shape;
    const ch = (s.length === 4 ? s[1] : s[s.length - 1]) as number;
    addSkips.set(key, (addSkips.get(key) ?? 0) + ch);
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
