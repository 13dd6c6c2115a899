import { activation, sigmoid } from './fn.js';

/**
 * torch.nn.Softplus: log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold (as
 * PyTorch reverts to the identity there, for numerical stability).
 */
export const softplus = activation({
  name: 'softplus',
  doc: 'log(1 + exp(beta · x)) / beta; x where beta · x > threshold.',
  params: [
    { name: 'beta', default: 1 },
    { name: 'threshold', default: 20, doc: 'above beta · x = threshold the function is x' },
  ],
  f: (s, x, [b, t]) => {
    const bx = s.let(s.mul(b!, x), 'bx');
    return s.sel(s.gt(bx, t!), x, s.div(s.log(s.add(s.lit(1), s.exp(bx))), b!));
  },
  df: (s, x, [b, t]) => {
    const bx = s.let(s.mul(b!, x), 'bx');
    return s.sel(s.gt(bx, t!), s.lit(1), sigmoid(s, bx));
  },
  d2f: (s, x, [b, t]) => {
    const bx = s.let(s.mul(b!, x), 'bx');
    const y = s.let(sigmoid(s, bx), 's');
    return s.sel(s.gt(bx, t!), s.lit(0), s.mul(b!, s.mul(y, s.sub(s.lit(1), y))));
  },
  // scale, compare, exp, add, log, divide, select; g·f′: scale, compare, sigmoid (4), select, product
  flops: { f: 7, df: 8, d2f: 12 },
  zeroPreserving: false,
  homogeneous: false,
});
