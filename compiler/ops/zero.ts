import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** Zeros of the input's shape (the NAS-cell `none` op); no FLOPs. */
export const zero: OpDef = unary('zero', 'elementwise', 'Zeros shaped like the input (the NAS-cell `none` op).', 0);
