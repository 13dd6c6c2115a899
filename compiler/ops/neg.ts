import { map1 } from '../reference/kernels.js';
import { NUMBERS } from '../reference/scalar.js';
import { props, unary, type ScalarOpDef, type UnaryRule } from './helpers.js';

const rule: UnaryRule = (s, x) => s.neg(x);

/** Elementwise negation; one FLOP per element. */
export const neg: ScalarOpDef<UnaryRule> = {
  ...unary(
    'neg',
    'elementwise',
    'Elementwise negation.',
    1,
    props('zero-preserving', 'channel-transparent', 'homogeneous'),
    {
      eval: ([x], _a, ctx) => [map1(x!, ctx.alloc(x!.shape), (v) => rule(NUMBERS, v))],
      vjp: (b, _n, [g], needs) => [needs[0] && g ? b.op1('neg', [g]) : null],
      jvp: (b, _n, [t]) => [t ? b.op1('neg', [t]) : null],
    },
  ),
  rule,
};
