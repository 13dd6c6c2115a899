import { binary, props } from './helpers.js';

/** Elementwise sum with broadcasting. One FLOP per output element. */
export const add = binary('add', 'Elementwise sum with broadcasting.', props('homogeneous', 'commutative'), {
  f: (s, x, y) => s.add(x, y),
  vjp: (b, n, [g], needs) => [
    needs[0] && g ? b.sumTo(g, b.shape(n.inputs[0]!)) : null,
    needs[1] && g ? b.sumTo(g, b.shape(n.inputs[1]!)) : null,
  ],
  jvp: (b, n, [ta, tb]) => {
    if (ta && tb) return [b.op1('add', [ta, tb])];
    const t = ta ?? tb;
    return [t ? b.expandTo(t, b.shape(n.outputs[0]!)) : null];
  },
});
