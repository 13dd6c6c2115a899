import { formatShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { ints, numelOf, pair, str, props } from '../helpers.js';
import { unflattenBasis, walsh } from '../../reference/walsh.js';
import { checkBasis } from './patch_project.js';

/**
 * The other half of the low-rank backward: rebuilds an image [N, C, H, W] (or NHWC) from
 * per-patch coefficients z [N, K, Ph, Pw, C] of kept 2-D Walsh–Hadamard bases,
 * y[n, c, h, w] = Σ_k M_k[h mod ph, w mod pw]·z[n, k, h / ph, w / pw, c], cropped to `size`
 * (positions no patch covers are zero). With only the DC basis this is a nearest-neighbour
 * upsampling by the patch: gradient filtering's ∂x. Linear in z. FLOPs: numel(out)·K.
 */
export const patch_reconstruct: OpDef = {
  name: 'patch_reconstruct',
  kind: 'pool',
  props: props(),
  doc: 'Rebuild an image from per-patch Walsh–Hadamard coefficients (the low-rank input gradient).',
  args: [
    { name: 'z', type: 'tensor' },
    { name: 'patch', type: 'int2' },
    { name: 'size', type: 'int2' },
    { name: 'basis', type: 'ints' },
    { name: 'layout', type: 'string', default: 'nchw', oneOf: ['nchw', 'nhwc'] },
  ],
  infer([z], a) {
    if (z!.shape.length !== 5)
      opError('MDL4008', `patch_reconstruct: z must be [N, K, Ph, Pw, C], got ${formatShape(z!.shape)}`);
    checkBasis('patch_reconstruct', a);
    const K = ints(a, 'basis').length / 2;
    if (z!.shape[1] !== K)
      opError('MDL4001', `patch_reconstruct: z has ${z!.shape[1]} bases, the attribute lists ${K}`);
    const [H, W] = pair(a, 'size');
    const [N, , , , C] = z!.shape;
    return [{ shape: str(a, 'layout') === 'nhwc' ? [N!, H, W, C!] : [N!, C!, H, W], dtype: z!.dtype }];
  },
  cost(c) {
    return { macs: 0, flops: numelOf(c.outputs[0]!) * (ints(c.attrs, 'basis').length / 2) };
  },
  eval([z], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const [N, K, Ph, Pw, C] = z!.shape as [number, number, number, number, number];
    const [ph, pw] = pair(a, 'patch');
    const [H, W] = pair(a, 'size');
    const bs = unflattenBasis(ints(a, 'basis'));
    const nhwc = str(a, 'layout') === 'nhwc';
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++) {
            const P = Math.floor(h / ph);
            const Q = Math.floor(w / pw);
            let s = 0;
            if (P < Ph && Q < Pw)
              for (let k = 0; k < K; k++) {
                const [r, cc] = bs[k]!;
                s += walsh(r, h % ph, ph) * walsh(cc, w % pw, pw) * z!.data[(((n * K + k) * Ph + P) * Pw + Q) * C + c]!;
              }
            y.data[nhwc ? ((n * H + h) * W + w) * C + c : ((n * C + c) * H + h) * W + w] = s;
          }
    return [y];
  },
  vjp: null,
  // Backward-only ops: nothing differentiates through a rewritten backward.
  jvp: null,
};
