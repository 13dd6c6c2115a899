// LBP-WHT (Yang et al., NeurIPS 2023): low-rank backpropagation through the pointwise layers of
// vision transformers and CNNs. The output gradient and the input are projected, patch by patch,
// onto low-order 2-D Walsh–Hadamard bases (patch_project), the weight and input gradients are
// computed in that low-rank space, and the input gradient is rebuilt (patch_reconstruct).
// Bases: "lp_l1" keeps (r, c) with r + c < order (the official LP_L1-o set), "full" all n²
// (exact, by Parseval), "dc" only (0, 0) (gradient filtering with patch n). Borders that the
// patches overhang are reflected, as the official code pads.
import type { Graph, Node } from '../ir/types.js';
import type { VjpRule } from '../ops/types.js';
import { fullBasis, lowPassL1, type Basis2 } from '../reference/walsh.js';
import { pointwiseGeometry, pointwiseLowRankVjp, tilingProblem } from './patches.js';
import type { StrategySpec } from './strategy.js';

type Spec = Extract<StrategySpec, { kind: 'lbp_wht' }>;

export const handles =
  'lbp_wht handles pointwise layers: linear layers over token grids [B, N, C] and 1×1 convolutions with stride 1';

export function basisOf(s: Spec): Basis2[] {
  return s.basis === 'full' ? fullBasis(s.patch) : s.basis === 'dc' ? [[0, 0]] : lowPassL1(s.order, s.patch);
}

export function check(g: Graph, n: Node, s: Spec): string | undefined {
  const geo = pointwiseGeometry(g, n, s);
  if (typeof geo === 'string') return geo;
  return tilingProblem(geo, s.patch, 'reflect');
}

export function vjp(g: Graph, n: Node, s: Spec): VjpRule {
  const geo = pointwiseGeometry(g, n, s);
  if (typeof geo === 'string') throw new Error(geo);
  const basis = basisOf(s);
  return (b, node, [gy], needs) => {
    if (!gy) return node.inputs.map(() => null);
    return pointwiseLowRankVjp(b, node, gy, needs, geo, {
      patch: s.patch,
      basis,
      border: 'reflect',
      grid: s.grid,
      extraTokens: s.extraTokens,
    });
  };
}
