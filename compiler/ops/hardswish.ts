import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** x · relu6(x + 3) / 6. Counted as 4 FLOP(s) per element (see the convention in registry.ts). */
export const hardswish: OpDef = activation('hardswish', 'x · relu6(x + 3) / 6.', 4);
