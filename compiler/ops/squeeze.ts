import { formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { axisOf, int, linearJvp, reshapeEval, reshapeVjp, props } from './helpers.js';

/** Remove the dim at `axis`, which must be 1 (unlike torch, a non-1 dim is an error). */
export const squeeze: OpDef = {
  name: 'squeeze',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Remove a dimension of size 1.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int' },
  ],
  infer([x], a) {
    const ax = axisOf(int(a, 'axis'), x!, 'squeeze');
    const d = x!.shape[ax]!;
    if (d !== 1) opError('MDL4001', `squeeze: axis ${ax} of input ${formatShape(x!.shape)} has size ${d}, not 1`);
    return [{ shape: x!.shape.filter((_, i) => i !== ax), dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval: reshapeEval,
  vjp: reshapeVjp,
  jvp: linearJvp,
};
