import type { OpDef } from './types.js';
import { binary } from './helpers.js';

/** Elementwise quotient with broadcasting. One FLOP per output element. */
export const div: OpDef = binary('div', 'Elementwise quotient with broadcasting.');
