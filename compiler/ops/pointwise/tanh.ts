import { activation } from './fn.js';

/** The hyperbolic tangent. */
export const tanh = activation({
  name: 'tanh',
  doc: 'Hyperbolic tangent.',
  f: (s, x) => s.tanh(x),
  df: (s, x) => {
    const t = s.let(s.tanh(x), 't');
    return s.sub(s.lit(1), s.mul(t, t));
  },
  d2f: (s, x) => {
    const t = s.let(s.tanh(x), 't');
    return s.mul(s.mul(s.lit(-2), t), s.sub(s.lit(1), s.mul(t, t)));
  },
  flops: { f: 5, df: 7, d2f: 12 },
  zeroPreserving: true,
  homogeneous: false,
});
