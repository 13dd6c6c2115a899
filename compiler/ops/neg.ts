import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** Elementwise negation; one FLOP per element. */
export const neg: OpDef = unary('neg', 'elementwise', 'Elementwise negation.', 1);
