// torch.pow(x, exponent) for a positive exponent. WGSL's pow is defined only for a positive
// base, so the power is taken of |x| (floored at the smallest normal float) and the sign put
// back by the exponent's parity: an even integer exponent gives |x|^p, an odd one
// sign(x)·|x|^p, as PyTorch computes them for negative x. For a non-integer exponent PyTorch
// gives NaN below 0; here x ≤ 0 gives 0 (x is clamped at 0), so both sides agree everywhere.
import type { Scalar } from '../../reference/scalar.js';
import { signOr1, TINY, type Activation, type PointwiseFn } from './fn.js';

/** |x| floored at the smallest normal float, raised to q: the derivatives' powers, safe at 0. */
const pw = <T, B>(s: Scalar<T, B>, x: T, q: T): T => s.pow(s.max(s.abs(x), s.lit(TINY)), q);

const P = [{ name: 'exponent', default: 2 }];
// abs, max, pow (a select for the sign); g·f′: abs, max, subtract, pow, two products (a select)
const FLOPS = { f: 4, df: 7, d2f: 12 };

const even: PointwiseFn = {
  name: 'pow_even',
  params: P,
  f: (s, x, [p]) => pw(s, x, p!),
  df: (s, x, [p]) => s.mul(signOr1(s, x), s.mul(p!, pw(s, x, s.sub(p!, s.lit(1))))),
  d2f: (s, x, [p]) => s.mul(s.mul(p!, s.sub(p!, s.lit(1))), pw(s, x, s.sub(p!, s.lit(2)))),
  flops: FLOPS,
};

const odd: PointwiseFn = {
  name: 'pow_odd',
  params: P,
  f: (s, x, [p]) => s.mul(signOr1(s, x), pw(s, x, p!)),
  df: (s, x, [p]) => s.mul(p!, pw(s, x, s.sub(p!, s.lit(1)))),
  d2f: (s, x, [p]) => s.mul(signOr1(s, x), s.mul(s.mul(p!, s.sub(p!, s.lit(1))), pw(s, x, s.sub(p!, s.lit(2))))),
  flops: FLOPS,
};

const real: PointwiseFn = {
  name: 'pow_real',
  params: P,
  f: (s, x, [p]) => s.sel(s.gt(x, s.lit(0)), pw(s, x, p!), s.lit(0)),
  df: (s, x, [p]) => s.sel(s.gt(x, s.lit(0)), s.mul(p!, pw(s, x, s.sub(p!, s.lit(1)))), s.lit(0)),
  d2f: (s, x, [p]) =>
    s.sel(s.gt(x, s.lit(0)), s.mul(s.mul(p!, s.sub(p!, s.lit(1))), pw(s, x, s.sub(p!, s.lit(2)))), s.lit(0)),
  flops: FLOPS,
};

export const pow: Activation = {
  name: 'pow',
  kind: 'elementwise',
  doc: 'x to a positive constant power; for a non-integer exponent, x ≤ 0 gives 0.',
  args: [{ name: 'exponent', type: 'float', doc: 'a positive number' }],
  fns: [even, odd, real],
  choose: (a) => {
    const p = a['exponent'] as number;
    return { fn: !Number.isInteger(p) ? real : p % 2 === 0 ? even : odd, params: [p] };
  },
  check: (a) => {
    const p = a['exponent'] as number;
    return p > 0 ? undefined : `the exponent must be positive, got ${p}`;
  },
  // |s·x|^p = s^p·|x|^p: homogeneous only for p = 1, which the op does not promise.
  props: { zeroPreserving: true, channelTransparent: true, homogeneous: false, commutative: false },
};
