import { formatShape, sameShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, props } from '../helpers.js';

/** The VJP of mse with respect to the prediction: 2·g·(pred − target)/numel. FLOPs: 3 per element. */
export const mse_grad: OpDef = {
  name: 'mse_grad',
  kind: 'loss',
  props: props(),
  doc: 'Backward of mse with respect to the prediction.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'pred', type: 'tensor' },
    { name: 'target', type: 'tensor' },
  ],
  infer([g, pred, target]) {
    if (g!.shape.length !== 0 || !sameShape(pred!.shape, target!.shape))
      opError(
        'MDL4001',
        `mse_grad: expects a scalar g and pred, target of one shape; got ${formatShape(g!.shape)}, ${formatShape(pred!.shape)}, ${formatShape(target!.shape)}`,
      );
    return [pred!];
  },
  cost: (c) => ({ macs: 0, flops: 3 * numelOf(c.outputs[0]!) }),
  eval([g, p, t], _a, ctx) {
    const d = ctx.alloc(p!.shape);
    const s = (2 * g!.data[0]!) / p!.data.length;
    for (let i = 0; i < d.data.length; i++) d.data[i] = s * (p!.data[i]! - t!.data[i]!);
    return [d];
  },
  vjp: null,
  jvp: null,
};
