import type { OpDef } from './types.js';
import { binary } from './helpers.js';

/** Elementwise difference with broadcasting. One FLOP per output element. */
export const sub: OpDef = binary('sub', 'Elementwise difference with broadcasting.');
