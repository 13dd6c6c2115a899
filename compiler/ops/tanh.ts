import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** Hyperbolic tangent. Counted as 5 FLOP(s) per element (see the convention in registry.ts). */
export const tanh: OpDef = activation('tanh', 'Hyperbolic tangent.', 5);
