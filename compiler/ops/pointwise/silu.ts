import { activation, sigmoid } from './fn.js';

/** x · sigmoid(x) (swish). */
export const silu = activation({
  name: 'silu',
  doc: 'x · sigmoid(x) (swish).',
  f: (s, x) => s.mul(x, sigmoid(s, x)),
  df: (s, x) => {
    const y = s.let(sigmoid(s, x), 's');
    return s.mul(y, s.add(s.lit(1), s.mul(x, s.sub(s.lit(1), y))));
  },
  d2f: (s, x) => {
    const y = s.let(sigmoid(s, x), 's');
    return s.mul(s.mul(y, s.sub(s.lit(1), y)), s.add(s.lit(2), s.mul(x, s.sub(s.lit(1), s.mul(s.lit(2), y)))));
  },
  // sigmoid + mul
  flops: { f: 5, df: 8, d2f: 12 },
  zeroPreserving: true,
  homogeneous: false,
});
