import { formatShape, sameShape } from '../../ir/shape.js';
import { broadcastInto, keepShape } from '../../reference/kernels.js';
import type { Dim } from '../../ir/types.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, ints, linearJvp, numelOf, shapeArg, props } from '../helpers.js';

/**
 * The VJP of `sum` and `mean` (and global_avgpool): broadcasts g, the reduction's output
 * (with or without the kept dims), back over `axes` to `shape`, divided by the number of
 * reduced elements when `mean`. FLOPs: numel(out) for mean (the scale), else 0.
 */
export const reduce_grad: OpDef = {
  name: 'reduce_grad',
  kind: 'reduction',
  props: props(),
  doc: 'Backward of sum/mean: broadcast back over the reduced axes (scaled for mean).',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'shape', type: 'shape' },
    { name: 'axes', type: 'ints' },
    { name: 'keepdim', type: 'bool' },
    { name: 'mean', type: 'bool' },
  ],
  infer([g], a) {
    const shape = shapeArg(a, 'shape');
    const axes = ints(a, 'axes');
    const want: Dim[] = [];
    shape.forEach((d, i) => {
      if (!axes.includes(i)) want.push(d);
      else if (bool(a, 'keepdim')) want.push(1);
    });
    if (axes.some((ax) => ax < 0 || ax >= shape.length) || !sameShape(want, g!.shape))
      opError(
        'MDL4001',
        `reduce_grad: g ${formatShape(g!.shape)} is not ${formatShape(shape)} reduced over [${axes.join(', ')}]`,
      );
    return [{ shape, dtype: g!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: bool(c.attrs, 'mean') ? numelOf(c.outputs[0]!) : 0 }),
  eval([g], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const axes = ints(a, 'axes');
    const count = axes.reduce((p, ax) => p * y.shape[ax]!, 1);
    broadcastInto(g!.data, keepShape(y.shape, axes), y.shape, y.data, bool(a, 'mean') ? 1 / count : 1);
    return [y];
  },
  // Its adjoint is the reduction itself.
  vjp: (b, n, [G], needs) => [
    needs[0] && G
      ? b.op1(bool(n.attrs, 'mean') ? 'mean' : 'sum', [G], {
          axes: ints(n.attrs, 'axes'),
          keepdim: bool(n.attrs, 'keepdim'),
        })
      : null,
  ],
  jvp: linearJvp,
};
