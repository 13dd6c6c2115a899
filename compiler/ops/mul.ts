import { binary, props } from './helpers.js';

/** Elementwise product with broadcasting. One FLOP per output element. */
export const mul = binary('mul', 'Elementwise product with broadcasting.', props('commutative'), {
  f: (s, x, y) => s.mul(x, y),
  vjp: (b, n, [g], needs) => {
    const [x, y] = n.inputs as [number, number];
    return [
      needs[0] && g ? b.sumTo(b.op1('mul', [g, y]), b.shape(x)) : null,
      needs[1] && g ? b.sumTo(b.op1('mul', [g, x]), b.shape(y)) : null,
    ];
  },
  jvp: (b, n, [ta, tb]) => {
    const [x, y] = n.inputs as [number, number];
    return [b.add(ta ? b.op1('mul', [ta, y]) : null, tb ? b.op1('mul', [x, tb]) : null)];
  },
});
