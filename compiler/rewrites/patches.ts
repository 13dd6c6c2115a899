// What gradient filtering and LBP-WHT share: seeing a pointwise layer's input and output
// gradient as images tiled into patches, and computing its weight and input gradients from
// per-patch coefficients instead of per-position values.
//
// A pointwise layer is a linear layer over tokens, x [B, T, C] with T = extra + h·w (the leading
// `extra` tokens — a class token — keep the exact backward), or a 1×1 convolution with stride 1
// over x [N, C, H, W]. For kept bases K (patch p×p):
//   ĝ_k = mean-projection of ∂L/∂y,  x̂_k = sum-projection of x          (patch_project)
//   ∂L/∂W ≈ Σ_k Σ_patches ĝ_k x̂_kᵀ                                       (one GEMM, K·P rows)
//   ∂L/∂x ≈ Σ_k M_k ⊗ (ĝ_k W)                                            (GEMM, patch_reconstruct)
// With every basis kept both are exact (Parseval); with the DC basis alone this is gradient
// filtering. The bias gradient is always exact.
import type { Node, ValueId } from '../ir/types.js';
import type { Graph } from '../ir/types.js';
import type { IrBuilder } from '../ops/types.js';
import { flattenBasis, type Basis2 } from '../reference/walsh.js';

export interface PatchSpec {
  readonly patch: number;
  readonly basis: readonly Basis2[];
  readonly border: 'zero' | 'reflect';
  readonly grid?: readonly [number, number] | undefined;
  readonly extraTokens: number;
}

interface Geometry {
  readonly conv: boolean;
  readonly H: number;
  readonly W: number;
}

const known = (d: number | string): number | undefined => (typeof d === 'number' ? d : undefined);

/** Why a layer is not pointwise for these rewrites, or its image geometry. */
export function pointwiseGeometry(g: Graph, n: Node, spec: Pick<PatchSpec, 'grid' | 'extraTokens'>): Geometry | string {
  const xs = g.values[n.inputs[0]!]!.type.shape;
  if (n.op === 'conv2d') {
    const a = n.attrs;
    const one = (k: string, v: number) => (a[k] as number[]).every((x) => x === v);
    if (!one('kernel', 1) || !one('stride', 1) || !one('padding', 0) || !one('dilation', 1) || a['groups'] !== 1)
      return 'only 1×1 convolutions with stride 1, no padding and groups=1 are pointwise';
    const H = known(xs[2]!);
    const W = known(xs[3]!);
    if (H === undefined || W === undefined) return 'its spatial size must be known';
    return { conv: true, H, W };
  }
  if (n.op === 'linear') {
    if (xs.length !== 3) return `its input ${'[' + xs.join(', ') + ']'} is not a token sequence [B, N, C]`;
    const T = known(xs[1]!);
    if (T === undefined) return 'its token count must be known';
    const rest = T - spec.extraTokens;
    if (rest <= 0) return `extra_tokens=${spec.extraTokens} leaves no tokens of its ${T}`;
    if (spec.grid) {
      if (spec.grid[0] * spec.grid[1] !== rest)
        return `grid ${spec.grid[0]}×${spec.grid[1]} does not hold its ${rest} tokens`;
      return { conv: false, H: spec.grid[0], W: spec.grid[1] };
    }
    const s = Math.round(Math.sqrt(rest));
    if (s * s !== rest) return `its ${rest} tokens are not a square grid; give grid=(h, w) or extra_tokens`;
    return { conv: false, H: s, W: s };
  }
  return 'it is neither a linear layer nor a 1×1 convolution';
}

/** Why `p×p` patches cannot tile an H×W image with this border, or undefined. */
export function tilingProblem(geo: Geometry, p: number, border: 'zero' | 'reflect'): string | undefined {
  if (border !== 'reflect') return undefined;
  for (const d of [geo.H, geo.W]) {
    const pad = Math.ceil(d / p) * p - d;
    if (pad >= d)
      return `${p}×${p} patches need ${pad} reflected rows or columns, more than its ${geo.H}×${geo.W} grid has; use a smaller patch`;
  }
  return undefined;
}

/** The low-rank VJP of a pointwise layer (see the file comment). */
export function pointwiseLowRankVjp(
  b: IrBuilder,
  n: Node,
  gy: ValueId,
  needs: readonly boolean[],
  geo: Geometry,
  spec: PatchSpec,
): (ValueId | null)[] {
  const [x, w] = n.inputs as [ValueId, ValueId];
  const xs = b.shape(x);
  const [Co, Ci] = b.shape(w) as [number, number];
  const p = spec.patch;
  const { H, W } = geo;
  const grid = [Math.ceil(H / p), Math.ceil(W / p)];
  const basis = flattenBasis(spec.basis);
  const layout = geo.conv ? 'nchw' : 'nhwc';
  const e = geo.conv ? 0 : spec.extraTokens;
  const T = geo.conv ? 0 : (xs[1] as number);
  const B = xs[0]!;
  // The image views of x and ∂L/∂y, and the leading tokens that keep the exact backward.
  const tokens = (v: ValueId, C: number) =>
    b.reshape(e ? b.op1('slice', [v], { axis: 1, start: e, end: T }) : v, [B, H, W, C]);
  const lead = (v: ValueId) => b.op1('slice', [v], { axis: 1, start: 0, end: e });
  const gi = geo.conv ? gy : tokens(gy, Co);
  const w2 = geo.conv ? b.reshape(w, [Co, Ci]) : w;
  const gHat = b.op1('patch_project', [gi], { patch: p, grid, basis, mean: true, border: spec.border, layout });
  let dx: ValueId | null = null;
  if (needs[0]) {
    const wT = b.op1('transpose', [w2], { dim0: 0, dim1: 1 });
    const z = b.op1('linear', [gHat], { out: Ci, bias: false }, [wT]);
    const img = b.op1('patch_reconstruct', [z], { patch: p, size: [H, W], basis, layout });
    if (geo.conv) dx = img;
    else {
      const rest = b.reshape(img, [B, H * W, Ci]);
      dx = e ? b.op1('concat', [b.op1('linear', [lead(gy)], { out: Ci, bias: false }, [wT]), rest], { axis: 1 }) : rest;
    }
  }
  let dw: ValueId | null = null;
  if (needs[1]) {
    const xi = geo.conv ? x : tokens(x, Ci);
    const xHat = b.op1('patch_project', [xi], { patch: p, grid, basis, mean: false, border: spec.border, layout });
    let d = b.op1('linear_grad_weight', [gHat, xHat]);
    if (e) d = b.add(d, b.op1('linear_grad_weight', [lead(gy), lead(x)]))!;
    dw = geo.conv ? b.reshape(d, [Co, Ci, 1, 1]) : d;
  }
  const res: (ValueId | null)[] = [dx, dw];
  if (n.inputs.length > 2) res.push(needs[2] ? b.op1('sum', [gy], { axes: geo.conv ? [0, 2, 3] : [0, 1] }) : null);
  return res;
}
