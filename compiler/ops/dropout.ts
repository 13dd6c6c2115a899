import type { OpDef } from './types.js';
import { opError } from './types.js';
import { num, out0 } from './helpers.js';

/**
 * Inverted dropout, as torch.nn.Dropout: in training, zero each element with probability p and
 * scale the rest by 1/(1−p); the identity at inference. FLOPs: one per element (the training-
 * mode multiply by the scaled mask).
 */
export const dropout: OpDef = {
  name: 'dropout',
  kind: 'regularization',
  doc: 'Dropout with probability p (training only).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'p', type: 'float', default: 0.5 },
  ],
  infer([x], a) {
    const p = num(a, 'p');
    if (!(p >= 0 && p < 1)) opError('MDL3006', `dropout: p must be in [0, 1), got ${p}`);
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: out0(c) }),
};
