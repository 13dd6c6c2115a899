import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** min(max(x, 0), 6). Counted as 2 FLOP(s) per element (see the convention in registry.ts). */
export const relu6: OpDef = activation('relu6', 'min(max(x, 0), 6).', 2);
