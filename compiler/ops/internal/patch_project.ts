import { formatShape } from '../../ir/shape.js';
import type { Attrs } from '../../ir/types.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, ints, numelOf, pair, str, props } from '../helpers.js';
import { isPowerOfTwo, reflectIndex, unflattenBasis, walsh } from '../../reference/walsh.js';

/** The spatial geometry of a patch op's image operand, in either layout. */
export function imageDims(
  shape: readonly (number | string)[],
  layout: string,
): { N: number | string; C: number; H: number; W: number } {
  const [n, a, b, c] = shape as [number | string, number, number, number];
  return layout === 'nhwc' ? { N: n, C: c, H: a, W: b } : { N: n, C: a, H: b, W: c };
}

/** Checks the kept bases against the patch: indices in range, non-DC bases only on power-of-two patches. */
export function checkBasis(op: string, a: Attrs): void {
  const [ph, pw] = pair(a, 'patch');
  if (ph <= 0 || pw <= 0) opError('MDL3006', `${op}: patch must be positive, got ${ph}×${pw}`);
  const bs = unflattenBasis(ints(a, 'basis'));
  if (bs.length === 0) opError('MDL3006', `${op}: at least one basis must be kept`);
  for (const [r, c] of bs) {
    if (r < 0 || c < 0 || r >= ph || c >= pw)
      opError('MDL3006', `${op}: basis (${r}, ${c}) does not exist for ${ph}×${pw} patches`);
    if ((r > 0 && !isPowerOfTwo(ph)) || (c > 0 && !isPowerOfTwo(pw)))
      opError(
        'MDL3006',
        `${op}: Walsh–Hadamard bases beyond the DC one need power-of-two patches, got ${ph}×${pw}`,
        'use patch 2, 4, 8 or 16',
      );
  }
}

/**
 * Projects every ph×pw patch of an image x (NCHW or NHWC) onto kept 2-D Walsh–Hadamard bases
 * M_k = h_r h_cᵀ: out[n, k, P, Q, c] = s·Σ_{i,j} M_k[i, j]·x[n, c, P·ph+i, Q·pw+j], over a grid
 * of Ph×Pw patches. Positions past the image are reflected (`border = reflect`, LBP-WHT) or
 * zero (`zero`, gradient filtering). s = 1 (a sum), or with `mean` 1/(ph·pw) — 1/(positions
 * inside the image) at a zero border, so padding is excluded from averages as the official
 * gradient-filtering code excludes it. The output is channel-last so the low-rank gradients are
 * plain GEMMs over its flattened leading dims. With only the DC basis (0, 0) this is sum or
 * average pooling. Linear in x. FLOPs: numel(out)·ph·pw (evaluated directly, per basis).
 */
export const patch_project: OpDef = {
  name: 'patch_project',
  kind: 'pool',
  props: props(),
  doc: 'Project image patches onto kept 2-D Walsh–Hadamard bases (LBP-WHT, gradient filtering).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'patch', type: 'int2' },
    { name: 'grid', type: 'int2' },
    { name: 'basis', type: 'ints' },
    { name: 'mean', type: 'bool', default: false },
    { name: 'border', type: 'string', default: 'zero', oneOf: ['zero', 'reflect'] },
    { name: 'layout', type: 'string', default: 'nchw', oneOf: ['nchw', 'nhwc'] },
  ],
  infer([x], a) {
    if (x!.shape.length !== 4)
      opError(
        'MDL4008',
        `patch_project: x must be an image [N, C, H, W] or [N, H, W, C], got ${formatShape(x!.shape)}`,
      );
    checkBasis('patch_project', a);
    const { N, C, H, W } = imageDims(x!.shape, str(a, 'layout'));
    const [ph, pw] = pair(a, 'patch');
    const [Ph, Pw] = pair(a, 'grid');
    if (Ph <= 0 || Pw <= 0) opError('MDL3006', `patch_project: grid must be positive, got ${Ph}×${Pw}`);
    if (
      str(a, 'border') === 'reflect' &&
      (Ph * ph - H >= H || Pw * pw - W >= W || Ph * ph - H > ph - 1 || Pw * pw - W > pw - 1)
    )
      opError(
        'MDL3006',
        `patch_project: ${Ph}×${Pw} patches of ${ph}×${pw} cannot cover a ${H}×${W} image by reflection`,
      );
    return [{ shape: [N, ints(a, 'basis').length / 2, Ph, Pw, C], dtype: x!.dtype }];
  },
  cost(c) {
    const [ph, pw] = pair(c.attrs, 'patch');
    return { macs: 0, flops: numelOf(c.outputs[0]!) * ph * pw };
  },
  eval([x], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const layout = str(a, 'layout');
    const { C, H, W } = imageDims(x!.shape, layout);
    const N = x!.shape[0]!;
    const [ph, pw] = pair(a, 'patch');
    const [Ph, Pw] = pair(a, 'grid');
    const bs = unflattenBasis(ints(a, 'basis'));
    const reflect = str(a, 'border') === 'reflect';
    const mean = bool(a, 'mean');
    const at =
      layout === 'nhwc'
        ? (n: number, c: number, h: number, w: number) => ((n * H + h) * W + w) * C + c
        : (n: number, c: number, h: number, w: number) => ((n * C + c) * H + h) * W + w;
    const K = bs.length;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const [r, cc] = bs[k]!;
        for (let P = 0; P < Ph; P++)
          for (let Q = 0; Q < Pw; Q++)
            for (let c = 0; c < C; c++) {
              let s = 0;
              let count = 0;
              for (let i = 0; i < ph; i++)
                for (let j = 0; j < pw; j++) {
                  let h = P * ph + i;
                  let w = Q * pw + j;
                  if (reflect) {
                    h = reflectIndex(h, H);
                    w = reflectIndex(w, W);
                  } else if (h >= H || w >= W) continue;
                  count++;
                  s += walsh(r, i, ph) * walsh(cc, j, pw) * x!.data[at(n, c, h, w)]!;
                }
              const div = mean ? (reflect ? ph * pw : Math.max(count, 1)) : 1;
              y.data[(((n * K + k) * Ph + P) * Pw + Q) * C + c] = s / div;
            }
      }
    return [y];
  },
  vjp: null,
  // Backward-only ops: nothing differentiates through a rewritten backward.
  jvp: null,
};
