import { activation, between } from './fn.js';

/** min(max(x, 0), 6); the derivative is 1 on the open interval (0, 6), as in PyTorch. */
export const relu6 = activation({
  name: 'relu6',
  doc: 'min(max(x, 0), 6).',
  f: (s, x) => s.clamp(x, s.lit(0), s.lit(6)),
  df: (s, x) => s.sel(between(s, x, 0, 6), s.lit(1), s.lit(0)),
  d2f: (s) => s.lit(0),
  // two clamps
  flops: { f: 2, df: 2, d2f: 12 },
  zeroPreserving: true,
  homogeneous: false,
});
