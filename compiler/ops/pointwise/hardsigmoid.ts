import { activation, between } from './fn.js';

/** relu6(x + 3) / 6, written as clamp(x/6 + 1/2, 0, 1); the derivative is 1/6 on (−3, 3), as in PyTorch. */
export const hardsigmoid = activation({
  name: 'hardsigmoid',
  doc: 'relu6(x + 3) / 6.',
  f: (s, x) => s.clamp(s.add(s.div(x, s.lit(6)), s.lit(0.5)), s.lit(0), s.lit(1)),
  df: (s, x) => s.sel(between(s, x, -3, 3), s.lit(1 / 6), s.lit(0)),
  d2f: (s) => s.lit(0),
  // add, clamp, scale
  flops: { f: 3, df: 2, d2f: 12 },
  zeroPreserving: false,
  homogeneous: false,
});
