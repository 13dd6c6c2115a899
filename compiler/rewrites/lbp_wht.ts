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
import { fail } from '../diagnostics/diagnostic.js';
import { intAtLeast, TOKEN_GRID_ARGS, tokenGrid } from './args.js';
import type { StrategyDef } from './define.js';
import { pointwiseGeometry, pointwiseLowRankVjp, tilingProblem } from './patches.js';

const BASES = ['lp_l1', 'full', 'dc'] as const;

export interface LbpWhtSpec {
  readonly kind: 'lbp_wht';
  readonly patch: number;
  readonly order: number;
  readonly basis: (typeof BASES)[number];
  readonly grid?: readonly [number, number];
  readonly extraTokens: number;
}

type Spec = LbpWhtSpec;

export function basisOf(s: Spec): Basis2[] {
  return s.basis === 'full' ? fullBasis(s.patch) : s.basis === 'dc' ? [[0, 0]] : lowPassL1(s.order, s.patch);
}

function check(g: Graph, n: Node, s: Spec): string | undefined {
  const geo = pointwiseGeometry(g, n, s);
  if (typeof geo === 'string') return geo;
  return tilingProblem(geo, s.patch, 'reflect');
}

function vjp(g: Graph, n: Node, s: Spec): VjpRule {
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

export const lbpWht: StrategyDef<LbpWhtSpec> = {
  name: 'lbp_wht',
  args: [
    { name: 'order', type: 'int', default: 2, doc: '"lp_l1" keeps the bases (r, c) with r + c < order' },
    { name: 'patch', type: 'int', default: 8, doc: 'the side of the patches, a power of two' },
    { name: 'basis', type: 'string', default: 'lp_l1', oneOf: BASES, doc: 'which Walsh–Hadamard bases are kept' },
    ...TOKEN_GRID_ARGS,
  ],
  handles:
    'lbp_wht handles pointwise layers: linear layers over token grids [B, N, C] and 1×1 convolutions with stride 1',
  spec(a) {
    const patch = intAtLeast(a, 'lbp_wht', 'patch', 1);
    if ((patch & (patch - 1)) !== 0)
      fail('MDL3004', `lbp_wht(): patch must be a power of two (Walsh–Hadamard bases), got ${patch}`, a.span, {
        hint: 'LBP-WHT uses patch 8',
      });
    const grid = tokenGrid(a, 'lbp_wht');
    return {
      kind: 'lbp_wht',
      patch,
      order: intAtLeast(a, 'lbp_wht', 'order', 1),
      basis: a.attrs['basis'] as Spec['basis'],
      ...(grid ? { grid } : {}),
      extraTokens: intAtLeast(a, 'lbp_wht', 'extra_tokens', 0),
    };
  },
  format: (s) =>
    `lbp_wht(order=${s.order}, patch=${s.patch}${s.basis !== 'lp_l1' ? `, basis="${s.basis}"` : ''}${s.grid ? `, grid=(${s.grid.join(', ')})` : ''}${s.extraTokens ? `, extra_tokens=${s.extraTokens}` : ''})`,
  check,
  vjp,
  saves: ['patch_project'],
};
