import { activation } from './fn.js';

/**
 * x for x > 0, negative_slope·x otherwise (torch.nn.LeakyReLU); the derivative at 0 is
 * negative_slope, as PyTorch's backward takes the x ≤ 0 branch there.
 */
export const leaky_relu = activation({
  name: 'leaky_relu',
  doc: 'x for x > 0, negative_slope · x otherwise.',
  params: [{ name: 'negative_slope', default: 0.01, doc: 'the slope for x ≤ 0' }],
  f: (s, x, [a]) => s.sel(s.gt(x, s.lit(0)), x, s.mul(x, a!)),
  df: (s, x, [a]) => s.sel(s.gt(x, s.lit(0)), s.lit(1), a!),
  d2f: (s) => s.lit(0),
  // a compare and a multiply; the derivative a select
  flops: { f: 2, df: 1, d2f: 12 },
  zeroPreserving: true,
  homogeneous: true,
});
