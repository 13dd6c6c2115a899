import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** 1 / (1 + exp(-x)). Counted as 4 FLOP(s) per element (see the convention in registry.ts). */
export const sigmoid: OpDef = activation('sigmoid', '1 / (1 + exp(-x)).', 4);
