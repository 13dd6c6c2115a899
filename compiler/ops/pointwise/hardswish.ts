import { activation, between } from './fn.js';

/** x · relu6(x + 3) / 6; the derivative is that of the middle piece on [−3, 3], as in PyTorch. */
export const hardswish = activation({
  name: 'hardswish',
  doc: 'x · relu6(x + 3) / 6.',
  f: (s, x) =>
    s.sel(s.le(x, s.lit(-3)), s.lit(0), s.sel(s.ge(x, s.lit(3)), x, s.div(s.mul(x, s.add(x, s.lit(3))), s.lit(6)))),
  df: (s, x) =>
    s.sel(s.lt(x, s.lit(-3)), s.lit(0), s.sel(s.le(x, s.lit(3)), s.add(s.div(x, s.lit(3)), s.lit(0.5)), s.lit(1))),
  d2f: (s, x) => s.sel(between(s, x, -3, 3), s.lit(1 / 3), s.lit(0)),
  // hardsigmoid + mul
  flops: { f: 4, df: 3, d2f: 12 },
  zeroPreserving: true,
  homogeneous: false,
});
