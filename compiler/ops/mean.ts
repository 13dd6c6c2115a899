import type { OpDef } from './types.js';
import { props, reduction } from './helpers.js';

/** Mean over the given axes; one FLOP per input element (the divide per output is amortised). */
export const mean: OpDef = reduction(
  'mean',
  'Mean over the given axes.',
  true,
  props('zero-preserving', 'homogeneous'),
);
