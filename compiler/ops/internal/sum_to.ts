import { broadcastShapes, formatShape, sameShape } from '../../ir/shape.js';
import { sumInto } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { linearJvp, numelOf, shapeArg, props } from '../helpers.js';

/**
 * Sums x down to `shape`, a shape that broadcasts to x's (NumPy rules): the dims x gained or
 * grew by broadcasting are summed. The VJP of broadcasting. FLOPs: numel(x).
 */
export const sum_to: OpDef = {
  name: 'sum_to',
  kind: 'reduction',
  props: props(),
  doc: 'Sum down to a shape that broadcasts to the input (the adjoint of broadcasting).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'shape', type: 'shape' },
  ],
  infer([x], a) {
    const shape = shapeArg(a, 'shape');
    const b = broadcastShapes(shape, x!.shape);
    if (!b || !sameShape(b, x!.shape))
      opError('MDL4002', `sum_to: ${formatShape(shape)} does not broadcast to the input ${formatShape(x!.shape)}`);
    return [{ shape, dtype: x!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: numelOf(c.inputs[0]!) }),
  eval([x], _a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    sumInto(x!.data, x!.shape, y.shape, y.data);
    return [y];
  },
  vjp: (b, n, [G], needs) => [needs[0] && G ? b.expandTo(G, b.shape(n.inputs[0]!)) : null],
  jvp: linearJvp,
};
