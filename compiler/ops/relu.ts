import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** max(x, 0). Counted as 1 FLOP(s) per element (see the convention in registry.ts). */
export const relu: OpDef = activation('relu', 'max(x, 0).', 1);
