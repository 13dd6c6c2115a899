import type { OpDef } from './types.js';
import { axisOf, int, out0, props } from './helpers.js';
import { softmaxEval } from './softmax.js';

/**
 * log(softmax(x)) along `axis`, computed stably as (x − max) − log Σ exp(x − max): max,
 * subtract, exp, sum, and the final subtract of the log-sum (the log itself is one per row,
 * amortised) — 5 FLOPs per element, like softmax.
 */
export const log_softmax: OpDef = {
  name: 'log_softmax',
  kind: 'reduction',
  props: props(),
  doc: 'Log-softmax along an axis (default the last).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int', default: -1 },
  ],
  infer([x], a) {
    axisOf(int(a, 'axis'), x!, 'log_softmax');
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: 5 * out0(c) }),
  eval: ([x], a, ctx) => [softmaxEval(x!, int(a, 'axis'), true, ctx)],
  // y = x − logΣexp(x): VJP g − softmax(x)·Σg; JVP ẋ − Σ(softmax(x) ⊙ ẋ).
  vjp(b, n, [g], needs) {
    if (!needs[0] || !g) return [null];
    const axis = int(n.attrs, 'axis');
    const p = b.op1('softmax', [n.inputs[0]!], { axis });
    return [b.op1('sub', [g, b.op1('mul', [p, b.op1('sum', [g], { axes: [axis], keepdim: true })])])];
  },
  jvp(b, n, [t]) {
    if (!t) return [null];
    const axis = int(n.attrs, 'axis');
    const p = b.op1('softmax', [n.inputs[0]!], { axis });
    return [b.op1('sub', [t, b.op1('sum', [b.op1('mul', [p, t])], { axes: [axis], keepdim: true })])];
  },
};
