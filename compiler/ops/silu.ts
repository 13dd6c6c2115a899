import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** x · sigmoid(x) (swish). Counted as 5 FLOP(s) per element (see the convention in registry.ts). */
export const silu: OpDef = unary('silu', 'activation', 'x · sigmoid(x) (swish).', 5);
