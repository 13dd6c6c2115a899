import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** x · relu6(x + 3) / 6. Counted as 4 FLOP(s) per element (see the convention in registry.ts). */
export const hardswish: OpDef = unary('hardswish', 'activation', 'x · relu6(x + 3) / 6.', 4);
