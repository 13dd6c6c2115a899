import type { OpDef } from './types.js';
import { axisOf, int, out0 } from './helpers.js';

/**
 * softmax along `axis`, computed stably: max, subtract, exp, sum, divide — 5 FLOPs per element.
 */
export const softmax: OpDef = {
  name: 'softmax',
  kind: 'reduction',
  doc: 'Softmax along an axis (default the last).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int', default: -1 },
  ],
  infer([x], a) {
    axisOf(int(a, 'axis'), x!, 'softmax');
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: 5 * out0(c) }),
};
