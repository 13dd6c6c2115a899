import type { OpDef } from './types.js';
import { opError } from './types.js';
import { activation, str } from './helpers.js';

const APPROX = ['none', 'tanh'] as const;
const base = activation(
  'gelu',
  'Gaussian error linear unit; approximate="tanh" for the tanh form.',
  8,
  [{ name: 'approximate', type: 'string', default: 'none', oneOf: APPROX }],
  (a) => (str(a, 'approximate') === 'tanh' ? 'gelu_tanh' : 'gelu'),
);

/** GELU as torch.nn.GELU (exact erf form, or the tanh approximation); 8 FLOPs per element. */
export const gelu: OpDef = {
  ...base,
  infer(inputs, a) {
    const approx = str(a, 'approximate');
    if (!(APPROX as readonly string[]).includes(approx))
      opError('MDL3006', `gelu: approximate must be "none" or "tanh", got "${approx}"`);
    return base.infer(inputs, a);
  },
};
