import type { OpDef } from './types.js';
import { activation } from './helpers.js';

/** relu6(x + 3) / 6. Counted as 3 FLOP(s) per element (see the convention in registry.ts). */
export const hardsigmoid: OpDef = activation('hardsigmoid', 'relu6(x + 3) / 6.', 3);
