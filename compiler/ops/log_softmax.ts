import type { OpDef } from './types.js';
import { axisOf, int, out0 } from './helpers.js';

/**
 * log(softmax(x)) along `axis`, computed stably as (x − max) − log Σ exp(x − max): max,
 * subtract, exp, sum, and the final subtract of the log-sum (the log itself is one per row,
 * amortised) — 5 FLOPs per element, like softmax.
 */
export const log_softmax: OpDef = {
  name: 'log_softmax',
  kind: 'reduction',
  doc: 'Log-softmax along an axis (default the last).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int', default: -1 },
  ],
  infer([x], a) {
    axisOf(int(a, 'axis'), x!, 'log_softmax');
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: 5 * out0(c) }),
};
