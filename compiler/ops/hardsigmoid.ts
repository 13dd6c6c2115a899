import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** relu6(x + 3) / 6. Counted as 3 FLOP(s) per element (see the convention in registry.ts). */
export const hardsigmoid: OpDef = unary('hardsigmoid', 'activation', 'relu6(x + 3) / 6.', 3);
