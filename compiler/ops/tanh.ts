import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** Hyperbolic tangent. Counted as 5 FLOP(s) per element (see the convention in registry.ts). */
export const tanh: OpDef = unary('tanh', 'activation', 'Hyperbolic tangent.', 5);
