import { activation, TINY } from './fn.js';

/**
 * The square root (torch.sqrt) of x clamped below at 0, so that the reference and a GPU kernel
 * agree everywhere (x < 0 gives 0 rather than NaN). The derivative 1/(2√x) is taken as 0 at
 * x ≤ 0 (PyTorch's is +∞ at 0).
 */
export const sqrt = activation({
  name: 'sqrt',
  kind: 'elementwise',
  doc: 'Square root of x clamped below at 0 (x < 0 gives 0, never NaN).',
  f: (s, x) => s.sqrt(s.max(x, s.lit(0))),
  df: (s, x) => s.sel(s.gt(x, s.lit(0)), s.div(s.lit(0.5), s.sqrt(s.max(x, s.lit(TINY)))), s.lit(0)),
  // −1/(4·x^{3/2})
  d2f: (s, x) => {
    const m = s.let(s.max(x, s.lit(TINY)), 'm');
    return s.sel(s.gt(x, s.lit(0)), s.div(s.lit(-0.25), s.mul(m, s.sqrt(m))), s.lit(0));
  },
  // max, sqrt; g·f′: compare, max, sqrt, divide, select, product
  flops: { f: 2, df: 6, d2f: 8 },
  zeroPreserving: true,
  homogeneous: false,
});
