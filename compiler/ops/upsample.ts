// upsample(x, scale, mode, align_corners): torch.nn.Upsample with integer scale factors over
// NCHW input. Both modes are linear maps separable in H and W: output row o reads input rows
// i0(o) and i1(o) with weights 1 − λ(o) and λ(o) (nearest: row o // scale with weight 1), as
// PyTorch computes them (`area_pixel_compute_source_index`). The adjoint, upsample_grad,
// spreads each output's gradient back with the same weights.
import { formatShape } from '../ir/shape.js';
import type { Attrs } from '../ir/types.js';
import type { Tensor } from '../reference/tensor.js';
import { bool, known, out0, pair, props, requireRank, str } from './helpers.js';
import { opError, type OpDef } from './types.js';

export type UpsampleMode = 'nearest' | 'bilinear';

/** The rows (or columns) output index o reads, with their weights: i0, i1, λ per output index. */
export interface AxisWeights {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly lambda: Float64Array;
}

/** PyTorch's source index along one axis of `inp` elements scaled by the integer `scale`. */
export function axisWeights(inp: number, scale: number, mode: UpsampleMode, alignCorners: boolean): AxisWeights {
  const out = inp * scale;
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const lambda = new Float64Array(out);
  // align_corners: the corners of input and output coincide; otherwise their pixels' centres scale.
  const ratio = alignCorners ? (out > 1 ? (inp - 1) / (out - 1) : 0) : 1 / scale;
  for (let o = 0; o < out; o++) {
    if (mode === 'nearest') {
      i0[o] = i1[o] = Math.floor(o / scale);
      continue;
    }
    const src = alignCorners ? ratio * o : Math.max(ratio * (o + 0.5) - 0.5, 0);
    const a = Math.min(Math.floor(src), inp - 1);
    i0[o] = a;
    i1[o] = Math.min(a + 1, inp - 1);
    lambda[o] = src - a;
  }
  return { i0, i1, lambda };
}

const attrsOf = (a: Attrs) => ({
  scale: pair(a, 'scale'),
  mode: str(a, 'mode') as UpsampleMode,
  alignCorners: bool(a, 'align_corners'),
});

/**
 * Upsampling `x` [N, C, H, W] into `y` [N, C, H·sh, W·sw] (forward), or its adjoint: the
 * gradient `y` spread back into `x` (backward; x is zeroed first).
 */
export function resample(x: Tensor, y: Tensor, a: Attrs, backward: boolean): void {
  const { scale, mode, alignCorners } = attrsOf(a);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Ho, Wo] = [H * scale[0], W * scale[1]];
  const rows = axisWeights(H, scale[0], mode, alignCorners);
  const cols = axisWeights(W, scale[1], mode, alignCorners);
  if (backward) x.data.fill(0);
  const acc = backward ? new Float64Array(x.data.length) : undefined;
  for (let p = 0; p < N * C; p++)
    for (let o = 0; o < Ho; o++) {
      const lh = rows.lambda[o]!;
      const rs = [
        [rows.i0[o]!, 1 - lh],
        [rows.i1[o]!, lh],
      ] as const;
      for (let q = 0; q < Wo; q++) {
        const lw = cols.lambda[q]!;
        const cs = [
          [cols.i0[q]!, 1 - lw],
          [cols.i1[q]!, lw],
        ] as const;
        const yi = (p * Ho + o) * Wo + q;
        let s = 0;
        for (const [h, wh] of rs)
          for (const [w, ww] of cs) {
            if (wh === 0 || ww === 0) continue;
            const xi = (p * H + h) * W + w;
            if (acc) acc[xi]! += wh * ww * y.data[yi]!;
            else s += wh * ww * x.data[xi]!;
          }
        if (!acc) y.data[yi] = s;
      }
    }
  if (acc) x.data.set(acc);
}

/** FLOPs per output element: a copy for nearest; three lerps (two multiplies and two adds each) for bilinear. */
export const upsampleFlops = (mode: string): number => (mode === 'nearest' ? 0 : 12);

export const upsample: OpDef = {
  name: 'upsample',
  kind: 'pool',
  props: props('zero-preserving', 'channel-transparent', 'homogeneous'),
  doc: 'Upsampling by integer factors (NCHW), nearest or bilinear, as torch.nn.Upsample.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'scale', type: 'int2', doc: 'the factor for H and W (an int: both)' },
    { name: 'mode', type: 'string', default: 'nearest', oneOf: ['nearest', 'bilinear'] },
    { name: 'align_corners', type: 'bool', default: false, doc: 'bilinear only' },
  ],
  infer([x], a) {
    requireRank(x!, 4, 'upsample', '[N, C, H, W]');
    const [sh, sw] = pair(a, 'scale');
    if (sh <= 0 || sw <= 0) opError('MDL3006', `upsample: the scale must be positive, got ${sh}×${sw}`);
    if (bool(a, 'align_corners') && str(a, 'mode') !== 'bilinear')
      opError('MDL3006', 'upsample: align_corners applies to mode="bilinear" only', 'leave it out for nearest');
    const [n, c, h, w] = x!.shape;
    const H = known(h!, 'the height', x!.shape, 'upsample');
    const W = known(w!, 'the width', x!.shape, 'upsample');
    if (x!.dtype !== 'f32' && str(a, 'mode') === 'bilinear')
      opError(
        'MDL4009',
        `upsample: bilinear interpolation needs a float input, got ${x!.dtype} ${formatShape(x!.shape)}`,
      );
    return [{ shape: [n!, c!, H * sh, W * sw], dtype: x!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: upsampleFlops(str(c.attrs, 'mode')) * out0(c) }),
  eval([x], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    resample(x!, y, a, false);
    return [y];
  },
  vjp(b, n, [g], needs) {
    if (!needs[0] || !g) return [null];
    const s = b.shape(n.inputs[0]!);
    return [b.op1('upsample_grad', [g], { ...n.attrs, input_size: [s[2]!, s[3]!] })];
  },
  jvp: (b, n, [t]) => [t ? b.op1('upsample', [t], n.attrs) : null],
};
