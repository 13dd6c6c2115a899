import type { OpDef } from './types.js';
import { map1 } from '../reference/kernels.js';
import { props, unary } from './helpers.js';

/** Elementwise negation; one FLOP per element. */
export const neg: OpDef = unary(
  'neg',
  'elementwise',
  'Elementwise negation.',
  1,
  props('zero-preserving', 'channel-transparent', 'homogeneous'),
  {
    eval: ([x], _a, ctx) => [map1(x!, ctx.alloc(x!.shape), (v) => -v)],
    vjp: (b, _n, [g], needs) => [needs[0] && g ? b.op1('neg', [g]) : null],
    jvp: (b, _n, [t]) => [t ? b.op1('neg', [t]) : null],
  },
);
