import { activation } from './fn.js';

/** |x| (torch.abs); the derivative is sign(x), 0 at x = 0, as in PyTorch. */
export const abs = activation({
  name: 'abs',
  kind: 'elementwise',
  doc: 'Elementwise absolute value.',
  f: (s, x) => s.abs(x),
  df: (s, x) => s.sel(s.gt(x, s.lit(0)), s.lit(1), s.sel(s.lt(x, s.lit(0)), s.lit(-1), s.lit(0))),
  d2f: (s) => s.lit(0),
  // abs; g·f′: two compares, two selects, a product
  flops: { f: 1, df: 5, d2f: 1 },
  zeroPreserving: true,
  homogeneous: true,
});
