import { formatShape, sameShape } from '../../ir/shape.js';
import { POINTWISE, POINTWISE_NAMES } from '../../reference/pointwise.js';
import { map2 } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, str } from '../helpers.js';

/**
 * g ⊙ f″(x) for an activation f of the pointwise table: the derivative of act_grad with
 * respect to x (second-order autodiff). Third derivatives are not provided: the op is declared
 * not differentiable. FLOPs: 2 per element plus f″ (counted like act_grad: relu 1 … gelu 12).
 */
export const act_grad2: OpDef = {
  name: 'act_grad2',
  kind: 'activation',
  doc: 'g ⊙ f″(x) for an activation f (second derivatives).',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'x', type: 'tensor' },
    { name: 'fn', type: 'string', oneOf: POINTWISE_NAMES },
  ],
  infer([g, x], a) {
    if (!POINTWISE[str(a, 'fn')]) opError('MDL3006', `act_grad2: unknown function "${str(a, 'fn')}"`);
    if (!sameShape(g!.shape, x!.shape))
      opError('MDL4001', `act_grad2: g ${formatShape(g!.shape)} and x ${formatShape(x!.shape)} differ`);
    return [g!];
  },
  cost: (c) => ({ macs: 0, flops: 12 * numelOf(c.outputs[0]!) }),
  eval([g, x], a, ctx) {
    const d2f = POINTWISE[str(a, 'fn')]!.d2f;
    return [map2(g!, x!, ctx.alloc(g!.shape), (gv, xv) => gv * d2f(xv))];
  },
  vjp: null,
  jvp: null,
};
