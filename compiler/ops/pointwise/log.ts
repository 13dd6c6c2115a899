import { activation, TINY } from './fn.js';

/**
 * The natural logarithm (torch.log) of x clamped below at the smallest normal float32, so that
 * the reference and a GPU kernel agree everywhere: log(0) is −87.34 rather than −∞, and x < 0
 * gives −87.34 rather than NaN. The derivatives are 1/x and −1/x² where x is above the clamp,
 * 0 below it.
 */
export const log = activation({
  name: 'log',
  kind: 'elementwise',
  doc: 'Natural logarithm of x clamped below at the smallest normal float (log 0 = −87.34, never −∞ or NaN).',
  f: (s, x) => s.log(s.max(x, s.lit(TINY))),
  df: (s, x) => s.sel(s.gt(x, s.lit(TINY)), s.div(s.lit(1), x), s.lit(0)),
  d2f: (s, x) => {
    const r = s.let(s.div(s.lit(1), s.max(x, s.lit(TINY))), 'r');
    return s.sel(s.gt(x, s.lit(TINY)), s.neg(s.mul(r, r)), s.lit(0));
  },
  // max, log; g·f′: compare, reciprocal, select, product
  flops: { f: 2, df: 4, d2f: 6 },
  zeroPreserving: false,
  homogeneous: false,
});
