import { binary, props } from './helpers.js';

/** Elementwise quotient with broadcasting. One FLOP per output element. */
export const div = binary('div', 'Elementwise quotient with broadcasting.', props(), {
  f: (s, x, y) => s.div(x, y),
  // y = a / b: ∂y/∂a = 1/b, ∂y/∂b = −y/b.
  vjp: (b, n, [g], needs) => {
    const [x, y] = n.inputs as [number, number];
    const out = n.outputs[0]!;
    return [
      needs[0] && g ? b.sumTo(b.op1('div', [g, y]), b.shape(x)) : null,
      needs[1] && g ? b.sumTo(b.op1('neg', [b.op1('mul', [g, b.op1('div', [out, y])])]), b.shape(y)) : null,
    ];
  },
  jvp: (b, n, [ta, tb]) => {
    const y = n.inputs[1]!;
    const out = n.outputs[0]!;
    const num =
      ta && tb
        ? b.op1('sub', [ta, b.op1('mul', [out, tb])])
        : ta
          ? ta
          : tb
            ? b.op1('neg', [b.op1('mul', [out, tb])])
            : null;
    return [num ? b.expandTo(b.op1('div', [num, y]), b.shape(out)) : null];
  },
});
