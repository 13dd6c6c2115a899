import type { OpDef } from './types.js';
import { binary } from './helpers.js';

/** Elementwise product with broadcasting. One FLOP per output element. */
export const mul: OpDef = binary('mul', 'Elementwise product with broadcasting.');
