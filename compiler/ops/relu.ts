import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** max(x, 0). Counted as 1 FLOP(s) per element (see the convention in registry.ts). */
export const relu: OpDef = unary('relu', 'activation', 'max(x, 0).', 1);
