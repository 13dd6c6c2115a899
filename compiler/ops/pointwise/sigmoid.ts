import { activation, sigmoid as sig } from './fn.js';

/** 1 / (1 + exp(−x)). */
export const sigmoid = activation({
  name: 'sigmoid',
  doc: '1 / (1 + exp(-x)).',
  f: (s, x) => sig(s, x),
  df: (s, x) => {
    const y = s.let(sig(s, x), 's');
    return s.mul(y, s.sub(s.lit(1), y));
  },
  d2f: (s, x) => {
    const y = s.let(sig(s, x), 's');
    return s.mul(s.mul(y, s.sub(s.lit(1), y)), s.sub(s.lit(1), s.mul(s.lit(2), y)));
  },
  // neg, exp, add, div
  flops: { f: 4, df: 6, d2f: 12 },
  zeroPreserving: false,
  homogeneous: false,
});
