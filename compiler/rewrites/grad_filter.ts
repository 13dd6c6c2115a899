// Gradient filtering (Yang et al., CVPR 2023): the output gradient of a layer is averaged over
// patch×patch regions and back-propagated at the reduced resolution.
//
// - Linear layers over tokens and 1×1 convolutions: the DC-only case of the patch rewrite
//   (patches.ts). Exactly autodiff fed with the patch-averaged gradient map.
// - k×k convolutions, as the official code computes them: with Ḡ = avgpool_r(∂L/∂y) (padding
//   excluded from the count), X̄ = the input summed over (r·s)×(r·s) windows aligned with the
//   output patches (the receptive-field centres of a same-padded convolution), and the
//   kernel-summed weight W̄[co, ci] = Σ_uv W[co, ci, u, v]:
//     ∂L/∂W[co, ci, u, v] ≈ Σ_{n,p} Ḡ[n, co, p]·X̄[n, ci, p] for every (u, v)
//     ∂L/∂x ≈ upsample_{r·s}(W̄ᵀ Ḡ), cropped;   depthwise: per channel.
//   This ignores kernel shifts, so it is an approximation even for r = 1; patch 1 therefore
//   means no filtering: the layer keeps its exact backward (grad_filter(1) = exact).
// The bias gradient is exact. Backward MACs fall by about r²·k² for the filtered layers.
import type { Graph, Node, ValueId } from '../ir/types.js';
import type { IrBuilder, VjpRule } from '../ops/types.js';
import { lookupOp } from '../ops/registry.js';
import { flattenBasis } from '../reference/walsh.js';
import { intAtLeast, TOKEN_GRID_ARGS, tokenGrid } from './args.js';
import type { StrategyDef } from './define.js';
import { pointwiseGeometry, pointwiseLowRankVjp } from './patches.js';

export interface GradFilterSpec {
  readonly kind: 'grad_filter';
  readonly patch: number;
  readonly grid?: readonly [number, number];
  readonly extraTokens: number;
}

type Spec = GradFilterSpec;

const DC = flattenBasis([[0, 0]]);

function check(g: Graph, n: Node, s: Spec): string | undefined {
  if (n.op === 'conv2d') {
    const a = n.attrs;
    if ((a['dilation'] as number[]).some((d) => d !== 1)) return 'dilated convolutions are not supported';
    const [, cin] = g.values[n.inputs[0]!]!.type.shape as [unknown, number];
    const groups = a['groups'] as number;
    const out = g.values[n.outputs[0]!]!.type.shape[1] as number;
    if (groups !== 1 && !(groups === cin && out === cin))
      return `groups=${groups} is neither a dense nor a depthwise convolution`;
    if (typeof pointwiseGeometry(g, n, s) !== 'string') return undefined;
    const ys = g.values[n.outputs[0]!]!.type.shape;
    if (typeof ys[2] !== 'number' || typeof ys[3] !== 'number') return 'its spatial size must be known';
    return undefined;
  }
  if (n.op === 'linear') {
    const geo = pointwiseGeometry(g, n, s);
    return typeof geo === 'string' ? geo : undefined;
  }
  return `${n.op} layers have no gradient-filtering rule`;
}

/** The k×k convolution rule (the official code's formulas). */
function convVjp(b: IrBuilder, n: Node, gy: ValueId, needs: readonly boolean[], r: number): (ValueId | null)[] {
  const [x, w] = n.inputs as [ValueId, ValueId];
  const [, Ci, H, W] = b.shape(x) as [number | string, number, number, number];
  const [, Co, Ho, Wo] = b.shape(gy) as [number | string, number, number, number];
  const [sh, sw] = n.attrs['stride'] as [number, number];
  const depthwise = (n.attrs['groups'] as number) !== 1;
  const grid = [Math.ceil(Ho / r), Math.ceil(Wo / r)];
  const gBar = b.op1('patch_project', [gy], { patch: r, grid, basis: DC, mean: true, border: 'zero', layout: 'nchw' });
  const res: (ValueId | null)[] = [null, null];
  if (needs[0]) {
    const wBar = b.op1('sum', [w], { axes: [2, 3] }); // [Co, Ci/groups]
    const z = depthwise
      ? b.op1('mul', [gBar, b.reshape(wBar, [Co])])
      : b.op1('linear', [gBar], { out: Ci, bias: false }, [b.op1('transpose', [wBar], { dim0: 0, dim1: 1 })]);
    res[0] = b.op1('patch_reconstruct', [z], { patch: [r * sh, r * sw], size: [H, W], basis: DC, layout: 'nchw' });
  }
  if (needs[1]) {
    const xBar = b.op1('patch_project', [x], {
      patch: [r * sh, r * sw],
      grid,
      basis: DC,
      mean: false,
      border: 'zero',
      layout: 'nchw',
    });
    const d = depthwise
      ? b.reshape(b.op1('sum', [b.op1('mul', [gBar, xBar])], { axes: [0, 1, 2, 3] }), [Co, 1, 1, 1])
      : b.reshape(b.op1('linear_grad_weight', [gBar, xBar]), [Co, Ci, 1, 1]);
    res[1] = b.expandTo(d, b.shape(w));
  }
  if (n.inputs.length > 2) res.push(needs[2] ? b.op1('sum', [gy], { axes: [0, 2, 3] }) : null);
  return res;
}

function vjp(g: Graph, n: Node, s: Spec): VjpRule {
  const exact = lookupOp(n.op)!.vjp!;
  // Linear layers over tokens and 1×1 convolutions: the DC-only patch rewrite.
  const geo = pointwiseGeometry(g, n, s);
  return (b, node, [gy], needs) => {
    if (!gy) return node.inputs.map(() => null);
    if (typeof geo !== 'string')
      return pointwiseLowRankVjp(b, node, gy, needs, geo, {
        patch: s.patch,
        basis: [[0, 0]],
        border: 'zero',
        grid: s.grid,
        extraTokens: s.extraTokens,
      });
    if (s.patch === 1) return exact(b, node, [gy], needs);
    return convVjp(b, node, gy, needs, s.patch);
  };
}

export const gradFilter: StrategyDef<GradFilterSpec> = {
  name: 'grad_filter',
  args: [
    { name: 'patch', type: 'int', default: 2, doc: 'the side r of the r×r patches the gradient is averaged over' },
    ...TOKEN_GRID_ARGS,
  ],
  handles:
    'grad_filter handles convolutions (groups 1 or depthwise, no dilation) and linear layers over token grids [B, N, C]',
  spec(a) {
    const grid = tokenGrid(a, 'grad_filter');
    return {
      kind: 'grad_filter',
      patch: intAtLeast(a, 'grad_filter', 'patch', 1),
      ...(grid ? { grid } : {}),
      extraTokens: intAtLeast(a, 'grad_filter', 'extra_tokens', 0),
    };
  },
  format: (s) =>
    `grad_filter(patch=${s.patch}${s.grid ? `, grid=(${s.grid.join(', ')})` : ''}${s.extraTokens ? `, extra_tokens=${s.extraTokens}` : ''})`,
  check,
  vjp,
  saves: ['patch_project'],
};
