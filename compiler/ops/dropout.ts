import type { OpDef } from './types.js';
import { opError } from './types.js';
import { num, out0, props } from './helpers.js';
import { dropoutMask } from '../../runtime/random/philox.js';

/**
 * Inverted dropout, as torch.nn.Dropout: in training, zero each element with probability p and
 * scale the rest by 1/(1−p); the identity at inference. FLOPs: one per element (the training-
 * mode multiply by the scaled mask).
 */
export const dropout: OpDef = {
  name: 'dropout',
  kind: 'regularization',
  props: props('zero-preserving', 'channel-transparent', 'homogeneous'),
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
  // Training: x · mask / (1 − p), the mask drawn from the node's counter-based stream (keyed by
  // the node's name; see runtime/random/philox.ts). Inference: the identity.
  eval([x], a, ctx) {
    const y = ctx.alloc(x!.shape);
    const p = num(a, 'p');
    if (!ctx.training || p === 0) y.data.set(x!.data);
    else {
      const m = dropoutMask(x!.data.length, p, ctx.seed, ctx.node, ctx.step);
      for (let i = 0; i < m.length; i++) y.data[i] = x!.data[i]! * m[i]!;
    }
    return [y];
  },
  // The same mask, regenerated from the same stream (dropout_mask keyed by this node's name).
  vjp: (b, n, [g], needs) => [
    needs[0] && g
      ? b.training && num(n.attrs, 'p') > 0
        ? b.op1('dropout_mask', [g], { p: num(n.attrs, 'p'), key: n.name })
        : g
      : null,
  ],
  jvp: (b, n, [t]) => [
    t
      ? b.training && num(n.attrs, 'p') > 0
        ? b.op1('dropout_mask', [t], { p: num(n.attrs, 'p'), key: n.name })
        : t
      : null,
  ],
};
