import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** x · sigmoid(x) (swish). Counted as 5 FLOP(s) per element (see the convention in registry.ts). */
export const silu: OpDef = activation('silu', 'x · sigmoid(x) (swish).', 5);
