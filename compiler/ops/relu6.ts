import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** min(max(x, 0), 6). Counted as 2 FLOP(s) per element (see the convention in registry.ts). */
export const relu6: OpDef = unary('relu6', 'activation', 'min(max(x, 0), 6).', 2);
