import { activation } from './fn.js';

/** The exponential (torch.exp); float32 overflows to infinity above x ≈ 88.7 on both sides. */
export const exp = activation({
  name: 'exp',
  kind: 'elementwise',
  doc: 'Elementwise exponential.',
  f: (s, x) => s.exp(x),
  df: (s, x) => s.exp(x),
  d2f: (s, x) => s.exp(x),
  // exp; g·f′: exp and a product
  flops: { f: 1, df: 2, d2f: 2 },
  zeroPreserving: false,
  homogeneous: false,
});
