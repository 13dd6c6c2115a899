import { formatShape, sameShape } from '../../ir/shape.js';
import { POINTWISE, POINTWISE_NAMES } from '../../reference/pointwise.js';
import { map2 } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, str } from '../helpers.js';

/** FLOPs per element of g·f′(x), by function. */
const FLOPS: Readonly<Record<string, number>> = {
  relu: 1,
  relu6: 2,
  hardsigmoid: 2,
  hardswish: 3,
  sigmoid: 6,
  tanh: 7,
  silu: 8,
  gelu: 12,
  gelu_tanh: 12,
};

/**
 * g ⊙ f′(x) for an activation f of the pointwise table (compiler/reference/pointwise.ts):
 * the VJP and the JVP of every activation. Its own derivatives use f″ (act_grad2), so
 * gradients of gradients (Hessian-vector products) go through activations.
 */
export const act_grad: OpDef = {
  name: 'act_grad',
  kind: 'activation',
  doc: 'g ⊙ f′(x) for an activation f (the derivative of relu, gelu, …).',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'x', type: 'tensor' },
    { name: 'fn', type: 'string', oneOf: POINTWISE_NAMES },
  ],
  infer([g, x], a) {
    if (!POINTWISE[str(a, 'fn')]) opError('MDL3006', `act_grad: unknown function "${str(a, 'fn')}"`);
    if (!sameShape(g!.shape, x!.shape))
      opError('MDL4001', `act_grad: g ${formatShape(g!.shape)} and x ${formatShape(x!.shape)} differ`);
    return [g!];
  },
  cost: (c) => ({ macs: 0, flops: (FLOPS[str(c.attrs, 'fn')] ?? 1) * numelOf(c.outputs[0]!) }),
  eval([g, x], a, ctx) {
    const df = POINTWISE[str(a, 'fn')]!.df;
    return [map2(g!, x!, ctx.alloc(g!.shape), (gv, xv) => gv * df(xv))];
  },
  // ∂/∂g = f′(x), ∂/∂x = g·f″(x)
  vjp: (b, n, [G], needs) => {
    const [g, x] = n.inputs as [number, number];
    const fn = str(n.attrs, 'fn');
    if (!G) return [null, null];
    return [
      needs[0] ? b.op1('act_grad', [G, x], { fn }) : null,
      needs[1] ? b.op1('act_grad2', [b.op1('mul', [G, g]), x], { fn }) : null,
    ];
  },
  jvp: (b, n, [tg, tx]) => {
    const [g, x] = n.inputs as [number, number];
    const fn = str(n.attrs, 'fn');
    return [
      b.add(
        tg ? b.op1('act_grad', [tg, x], { fn }) : null,
        tx ? b.op1('act_grad2', [b.op1('mul', [g, tx]), x], { fn }) : null,
      ),
    ];
  },
};
