import type { OpDef } from './types.js';
import { bool, requireRank, props } from './helpers.js';
import { keepShape, sumInto } from '../reference/kernels.js';
import { numel } from '../ir/shape.js';

/**
 * Global average pooling over H and W of an NCHW tensor, as nn.AdaptiveAvgPool2d(1):
 * [N, C, H, W] → [N, C, 1, 1] (keepdim) or [N, C]. FLOPs: one add per input element.
 */
export const global_avgpool: OpDef = {
  name: 'global_avgpool',
  kind: 'pool',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Average over H and W: [N, C, H, W] → [N, C, 1, 1] (keepdim) or [N, C].',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'keepdim', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireRank(x!, 4, 'global_avgpool', '[N, C, H, W]');
    const [n, c] = x!.shape;
    return [{ shape: bool(a, 'keepdim') ? [n!, c!, 1, 1] : [n!, c!], dtype: x!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: numel(c.inputs[0]!) }),
  eval([x], _a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    sumInto(x!.data, x!.shape, keepShape(x!.shape, [2, 3]), y.data, 1 / (x!.shape[2]! * x!.shape[3]!));
    return [y];
  },
  vjp: (b, n, [g], needs) => [
    needs[0] && g
      ? b.op1('reduce_grad', [g], {
          shape: [...b.shape(n.inputs[0]!)],
          axes: [2, 3],
          keepdim: bool(n.attrs, 'keepdim'),
          mean: true,
        })
      : null,
  ],
  jvp: (b, n, [t]) => [t ? b.op1('global_avgpool', [t], n.attrs) : null],
};
