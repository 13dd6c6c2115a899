import type { OpDef } from './types.js';
import { binary } from './helpers.js';

/** Elementwise sum with broadcasting. One FLOP per output element. */
export const add: OpDef = binary('add', 'Elementwise sum with broadcasting.');
