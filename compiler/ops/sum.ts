import type { OpDef } from './types.js';
import { props, reduction } from './helpers.js';

/** Sum over the given axes; one FLOP per input element. */
export const sum: OpDef = reduction('sum', 'Sum over the given axes.', false, props('zero-preserving', 'homogeneous'));
