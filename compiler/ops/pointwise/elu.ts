import { activation } from './fn.js';

/**
 * x for x > 0, alpha·(exp(x) − 1) otherwise (torch.nn.ELU, computed as PyTorch does, with
 * exp − 1); the derivative at 0 is alpha, as PyTorch's backward takes the x ≤ 0 branch there.
 */
export const elu = activation({
  name: 'elu',
  doc: 'x for x > 0, alpha · (exp(x) − 1) otherwise.',
  params: [{ name: 'alpha', default: 1, doc: 'the value approached as x → −∞ is −alpha' }],
  f: (s, x, [a]) => s.sel(s.gt(x, s.lit(0)), x, s.mul(a!, s.sub(s.exp(x), s.lit(1)))),
  df: (s, x, [a]) => s.sel(s.gt(x, s.lit(0)), s.lit(1), s.mul(a!, s.exp(x))),
  d2f: (s, x, [a]) => s.sel(s.gt(x, s.lit(0)), s.lit(0), s.mul(a!, s.exp(x))),
  // compare, exp, subtract, scale; g·f′: exp, scale, product
  flops: { f: 4, df: 3, d2f: 12 },
  zeroPreserving: true,
  homogeneous: false,
});
