import { formatShape, sameShape } from '../../ir/shape.js';
import { avgWindows } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, linearJvp, numelOf, pair, pool2dInfer, poolGeom, props } from '../helpers.js';

/**
 * The VJP of avgpool2d: each output's gradient, divided by its window's divisor, spread over
 * the window's input positions, giving [N, C, H, W] (`input_size` = [H, W]). Linear; its
 * adjoint is avgpool2d. FLOPs: numel(g)·kh·kw.
 */
export const avgpool2d_grad: OpDef = {
  name: 'avgpool2d_grad',
  kind: 'pool',
  props: props(),
  doc: 'Backward of average pooling: spread each gradient over its window.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'kernel', type: 'int2' },
    { name: 'stride', type: 'int2', default: null },
    { name: 'padding', type: 'int2', default: 0 },
    { name: 'ceil_mode', type: 'bool', default: false },
    { name: 'count_include_pad', type: 'bool', default: true },
    { name: 'input_size', type: 'int2' },
  ],
  infer([g], a) {
    const [H, W] = pair(a, 'input_size');
    const x = { shape: [g!.shape[0]!, g!.shape[1]!, H, W], dtype: g!.dtype };
    const y = pool2dInfer('avgpool2d_grad', x, a);
    if (!sameShape(y.shape, g!.shape))
      opError(
        'MDL4001',
        `avgpool2d_grad: g ${formatShape(g!.shape)} is not the pooled shape ${formatShape(y.shape)} of a ${H}×${W} input`,
      );
    return [x];
  },
  cost(c) {
    const [kh, kw] = pair(c.attrs, 'kernel');
    return { macs: 0, flops: numelOf(c.inputs[0]!) * kh * kw };
  },
  eval([g], a, ctx) {
    const dx = ctx.alloc(ctx.outputs[0]!);
    const geo = poolGeom(dx.shape, g!.shape, a);
    const win = avgWindows({ ...geo, countIncludePad: bool(a, 'count_include_pad') });
    const acc = new Float64Array(dx.data.length);
    for (let p = 0; p < geo.NC; p++)
      for (let k = 0; k < geo.Ho * geo.Wo; k++) {
        const [hs, he, ws, we, div] = [win[5 * k]!, win[5 * k + 1]!, win[5 * k + 2]!, win[5 * k + 3]!, win[5 * k + 4]!];
        const v = g!.data[p * geo.Ho * geo.Wo + k]! / div;
        for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) acc[(p * geo.H + h) * geo.W + w]! += v;
      }
    dx.data.set(acc);
    return [dx];
  },
  vjp(b, n, [G], needs) {
    if (!needs[0] || !G) return [null];
    const { kernel, stride, padding, ceil_mode, count_include_pad } = n.attrs;
    return [
      b.op1('avgpool2d', [G], {
        kernel: kernel!,
        stride: stride!,
        padding: padding!,
        ceil_mode: ceil_mode!,
        count_include_pad: count_include_pad!,
      }),
    ];
  },
  jvp: linearJvp,
};
