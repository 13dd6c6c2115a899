import { binary, props } from './helpers.js';

/** Elementwise difference with broadcasting. One FLOP per output element. */
export const sub = binary('sub', 'Elementwise difference with broadcasting.', props('homogeneous'), {
  f: (s, x, y) => s.sub(x, y),
  vjp: (b, n, [g], needs) => [
    needs[0] && g ? b.sumTo(g, b.shape(n.inputs[0]!)) : null,
    needs[1] && g ? b.sumTo(b.op1('neg', [g]), b.shape(n.inputs[1]!)) : null,
  ],
  jvp: (b, n, [ta, tb]) => {
    if (ta && tb) return [b.op1('sub', [ta, tb])];
    if (ta) return [b.expandTo(ta, b.shape(n.outputs[0]!))];
    return [tb ? b.expandTo(b.op1('neg', [tb]), b.shape(n.outputs[0]!)) : null];
  },
});
