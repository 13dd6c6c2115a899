import { formatShape, sameShape } from '../../ir/shape.js';
import { maxpoolArgmax } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, pair, pool2dInfer, poolGeom, props } from '../helpers.js';
import { MAXPOOL_ATTRS } from './maxpool2d_grad.js';

/**
 * The JVP of maxpool2d: v read at the position of each window's maximum of x (v and x of the
 * same shape). Linear in v (its VJP is maxpool2d_grad); zero derivative in x almost everywhere.
 */
export const maxpool2d_select: OpDef = {
  name: 'maxpool2d_select',
  kind: 'pool',
  props: props(),
  doc: "Read v at the positions of x's max-pooling window maxima.",
  args: [{ name: 'v', type: 'tensor' }, { name: 'x', type: 'tensor' }, ...MAXPOOL_ATTRS],
  infer([v, x], a) {
    if (!sameShape(v!.shape, x!.shape))
      opError('MDL4001', `maxpool2d_select: v ${formatShape(v!.shape)} and x ${formatShape(x!.shape)} differ`);
    return [pool2dInfer('maxpool2d_select', x!, a)];
  },
  cost(c) {
    const [kh, kw] = pair(c.attrs, 'kernel');
    return { macs: 0, flops: numelOf(c.outputs[0]!) * kh * kw };
  },
  eval([v, x], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const arg = maxpoolArgmax(x!.data, poolGeom(x!.shape, y.shape, a));
    for (let k = 0; k < arg.length; k++) y.data[k] = v!.data[arg[k]!]!;
    return [y];
  },
  vjp: (b, n, [G], needs) => [needs[0] && G ? b.op1('maxpool2d_grad', [G, n.inputs[1]!], n.attrs) : null, null],
  jvp: (b, n, [tv]) => [tv ? b.op1('maxpool2d_select', [tv, n.inputs[1]!], n.attrs) : null],
};
