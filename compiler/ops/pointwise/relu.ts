import { activation } from './fn.js';

/** max(x, 0); relu′(0) = 0 as in PyTorch. */
export const relu = activation({
  name: 'relu',
  doc: 'max(x, 0).',
  f: (s, x) => s.sel(s.gt(x, s.lit(0)), x, s.lit(0)),
  df: (s, x) => s.sel(s.gt(x, s.lit(0)), s.lit(1), s.lit(0)),
  d2f: (s) => s.lit(0),
  flops: { f: 1, df: 1, d2f: 12 },
  zeroPreserving: true,
  homogeneous: true,
});
