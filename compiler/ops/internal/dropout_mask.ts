import { dropoutMask } from '../../../runtime/random/philox.js';
import type { OpDef } from '../types.js';
import { linearJvp, num, numelOf, str, props } from '../helpers.js';

/**
 * x ⊙ mask/(1 − p) with the dropout mask of stream `key` (a dropout node's name) at the run's
 * seed and step — the same mask that node drew in training, regenerated (runtime/random/philox.ts).
 * Diagonal and linear: its own VJP and JVP. FLOPs: 1 per element.
 */
export const dropout_mask: OpDef = {
  name: 'dropout_mask',
  kind: 'regularization',
  props: props(),
  doc: 'Multiply by the scaled dropout mask of a named random stream.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'p', type: 'float' },
    { name: 'key', type: 'string' },
  ],
  infer: ([x]) => [x!],
  cost: (c) => ({ macs: 0, flops: numelOf(c.outputs[0]!) }),
  eval([x], a, ctx) {
    const y = ctx.alloc(x!.shape);
    const m = dropoutMask(x!.data.length, num(a, 'p'), ctx.seed, str(a, 'key'), ctx.step);
    for (let i = 0; i < m.length; i++) y.data[i] = x!.data[i]! * m[i]!;
    return [y];
  },
  vjp: (b, n, [G], needs) => [needs[0] && G ? b.op1('dropout_mask', [G], n.attrs) : null],
  jvp: linearJvp,
};
