import type { OpDef } from './types.js';
import { props, unary } from './helpers.js';

/** Zeros of the input's shape (the NAS-cell `none` op); no FLOPs. Its derivatives are zero. */
export const zero: OpDef = unary(
  'zero',
  'elementwise',
  'Zeros shaped like the input (the NAS-cell `none` op).',
  0,
  props('zero-preserving', 'homogeneous'),
  {
    eval: ([x], _a, ctx) => [ctx.alloc(x!.shape)],
    vjp: () => [null],
    jvp: () => [null],
  },
);
