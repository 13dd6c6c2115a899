import { formatShape } from '../../ir/shape.js';
import { numelOf, pair, props, str } from '../helpers.js';
import { opError, type OpDef } from '../types.js';
import { resample, upsampleFlops } from '../upsample.js';

/**
 * The VJP of upsample: each output's gradient spread back over the input elements it was
 * interpolated from, with the same weights, giving [N, C, H, W] (`input_size` = [H, W]).
 * Linear; its adjoint is upsample.
 */
export const upsample_grad: OpDef = {
  name: 'upsample_grad',
  kind: 'pool',
  props: props(),
  doc: 'Backward of upsample: the gradient spread back with the interpolation weights.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'scale', type: 'int2' },
    { name: 'mode', type: 'string', default: 'nearest', oneOf: ['nearest', 'bilinear'] },
    { name: 'align_corners', type: 'bool', default: false },
    { name: 'input_size', type: 'int2' },
  ],
  infer([g], a) {
    const [H, W] = pair(a, 'input_size');
    const [sh, sw] = pair(a, 'scale');
    if (g!.shape.length !== 4 || g!.shape[2] !== H * sh || g!.shape[3] !== W * sw)
      opError('MDL4001', `upsample_grad: g ${formatShape(g!.shape)} is not a ${H}×${W} input upsampled ${sh}×${sw}`);
    return [{ shape: [g!.shape[0]!, g!.shape[1]!, H, W], dtype: g!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: upsampleFlops(str(c.attrs, 'mode')) * numelOf(c.inputs[0]!) }),
  eval([g], a, ctx) {
    const dx = ctx.alloc(ctx.outputs[0]!);
    resample(dx, g!, a, true);
    return [dx];
  },
  vjp(b, n, [G], needs) {
    if (!needs[0] || !G) return [null];
    const { scale, mode, align_corners } = n.attrs;
    return [b.op1('upsample', [G], { scale: scale!, mode: mode!, align_corners: align_corners! })];
  },
  jvp: (b, n, [t]) => [t ? b.op1('upsample_grad', [t], n.attrs) : null],
};
