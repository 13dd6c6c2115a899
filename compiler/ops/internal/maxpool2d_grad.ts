import { formatShape, sameShape } from '../../ir/shape.js';
import { maxpoolArgmax } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, pair, pool2dInfer, poolGeom, props } from '../helpers.js';

export const MAXPOOL_ATTRS: OpDef['args'] = [
  { name: 'kernel', type: 'int2' },
  { name: 'stride', type: 'int2', default: null },
  { name: 'padding', type: 'int2', default: 0 },
  { name: 'dilation', type: 'int2', default: 1 },
  { name: 'ceil_mode', type: 'bool', default: false },
];

/**
 * The VJP of maxpool2d: each window's gradient goes to the position of its maximum in x (the
 * first, on ties, as PyTorch), summed where windows overlap. Linear in g; piecewise constant in
 * x, whose derivative is zero almost everywhere. FLOPs: the forward's compares, numel(g)·kh·kw.
 */
export const maxpool2d_grad: OpDef = {
  name: 'maxpool2d_grad',
  kind: 'pool',
  props: props(),
  doc: 'Backward of max pooling: route each gradient to its window maximum.',
  args: [{ name: 'g', type: 'tensor' }, { name: 'x', type: 'tensor' }, ...MAXPOOL_ATTRS],
  infer([g, x], a) {
    const y = pool2dInfer('maxpool2d_grad', x!, a);
    if (!sameShape(y.shape, g!.shape))
      opError(
        'MDL4001',
        `maxpool2d_grad: g ${formatShape(g!.shape)} is not the pooled shape ${formatShape(y.shape)} of x`,
      );
    return [x!];
  },
  cost(c) {
    const [kh, kw] = pair(c.attrs, 'kernel');
    return { macs: 0, flops: numelOf(c.inputs[0]!) * kh * kw };
  },
  eval([g, x], a, ctx) {
    const dx = ctx.alloc(x!.shape);
    const arg = maxpoolArgmax(x!.data, poolGeom(x!.shape, g!.shape, a));
    const acc = new Float64Array(dx.data.length);
    for (let k = 0; k < arg.length; k++) acc[arg[k]!]! += g!.data[k]!;
    dx.data.set(acc);
    return [dx];
  },
  vjp: (b, n, [G], needs) => [needs[0] && G ? b.op1('maxpool2d_select', [G, n.inputs[1]!], n.attrs) : null, null],
  jvp: (b, n, [tg]) => [tg ? b.op1('maxpool2d_grad', [tg, n.inputs[1]!], n.attrs) : null],
};
