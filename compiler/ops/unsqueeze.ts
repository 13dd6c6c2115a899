import { formatShape, normAxis } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { int, linearJvp, reshapeEval, reshapeVjp, props } from './helpers.js';

/** Insert a dim of size 1 at `axis` (in −(r+1)..r for rank r), as torch.unsqueeze. */
export const unsqueeze: OpDef = {
  name: 'unsqueeze',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Insert a dimension of size 1.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int' },
  ],
  infer([x], a) {
    const r = x!.shape.length;
    const axis = int(a, 'axis');
    const ax = normAxis(axis, r + 1);
    if (ax === undefined)
      opError(
        'MDL4003',
        `unsqueeze: axis ${axis} is out of range for input ${formatShape(x!.shape)}; it must be in ${-(r + 1)}..${r}`,
      );
    const shape = [...x!.shape];
    shape.splice(ax, 0, 1);
    return [{ shape, dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval: reshapeEval,
  vjp: reshapeVjp,
  jvp: linearJvp,
};
