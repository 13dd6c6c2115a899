// GELU as torch.nn.GELU: the exact form x·Φ(x) with the error function, or the tanh
// approximation (approximate="tanh"). Two functions, one op.
import type { Scalar } from '../../reference/scalar.js';
import type { Activation, PointwiseFn } from './fn.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const C = 0.044715;

/** φ(x) = exp(−x²/2)/√(2π). */
const phi = <T, B>(s: Scalar<T, B>, x: T): T =>
  s.mul(s.lit(1 / Math.sqrt(2 * Math.PI)), s.exp(s.mul(s.lit(-0.5), s.mul(x, x))));

/** tanh(√(2/π)·(x + c·x³)), the approximation's inner term. */
const inner = <T, B>(s: Scalar<T, B>, x: T): T =>
  s.tanh(s.mul(s.lit(SQRT_2_OVER_PI), s.add(x, s.mul(s.lit(C), s.mul(x, s.mul(x, x))))));

/** u′ = √(2/π)·(1 + 3c·x²), the derivative of the approximation's argument. */
const du = <T, B>(s: Scalar<T, B>, x: T): T =>
  s.mul(s.lit(SQRT_2_OVER_PI), s.add(s.lit(1), s.mul(s.lit(3 * C), s.mul(x, x))));

const exact: PointwiseFn = {
  name: 'gelu',
  params: [],
  f: (s, x) => s.mul(s.mul(s.lit(0.5), x), s.add(s.lit(1), s.erf(s.mul(x, s.lit(Math.SQRT1_2))))),
  df: (s, x) => s.add(s.mul(s.lit(0.5), s.add(s.lit(1), s.erf(s.mul(x, s.lit(Math.SQRT1_2))))), s.mul(x, phi(s, x))),
  // φ(x)·(2 − x²)
  d2f: (s, x) => s.mul(phi(s, x), s.sub(s.lit(2), s.mul(x, x))),
  flops: { f: 8, df: 12, d2f: 12 },
};

const tanhForm: PointwiseFn = {
  name: 'gelu_tanh',
  params: [],
  f: (s, x) => s.mul(s.mul(s.lit(0.5), x), s.add(s.lit(1), inner(s, x))),
  df: (s, x) => {
    const t = s.let(inner(s, x), 't');
    return s.add(
      s.mul(s.lit(0.5), s.add(s.lit(1), t)),
      s.mul(s.mul(s.mul(s.lit(0.5), x), s.sub(s.lit(1), s.mul(t, t))), du(s, x)),
    );
  },
  // t = tanh(u): (1 − t²)·(u′ + x·(u″ − 2t·u′²)/2)
  d2f: (s, x) => {
    const t = s.let(inner(s, x), 't');
    const u1 = s.let(du(s, x), 'u1');
    const u2 = s.mul(s.lit(SQRT_2_OVER_PI * 6 * C), x);
    return s.mul(
      s.sub(s.lit(1), s.mul(t, t)),
      s.add(u1, s.mul(s.mul(s.lit(0.5), x), s.sub(u2, s.mul(s.mul(s.lit(2), t), s.mul(u1, u1))))),
    );
  },
  flops: { f: 8, df: 12, d2f: 12 },
};

export const gelu: Activation = {
  name: 'gelu',
  doc: 'Gaussian error linear unit; approximate="tanh" for the tanh form.',
  args: [{ name: 'approximate', type: 'string', default: 'none', oneOf: ['none', 'tanh'] }],
  fns: [exact, tanhForm],
  choose: (a) => ({ fn: a['approximate'] === 'tanh' ? tanhForm : exact, params: [] }),
  props: { zeroPreserving: true, channelTransparent: true, homogeneous: false, commutative: false },
};
