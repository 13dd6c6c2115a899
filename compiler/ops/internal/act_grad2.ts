import { formatShape, sameShape } from '../../ir/shape.js';
import { map2 } from '../../reference/kernels.js';
import { NUMBERS } from '../../reference/scalar.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, props } from '../helpers.js';
import { ACT_GRAD_ARGS, fnOf, paramsOf } from './act_grad.js';

/**
 * g ⊙ f″(x) for a pointwise function f: the derivative of act_grad with respect to x
 * (second-order autodiff). Third derivatives are not provided: the op is declared not
 * differentiable. FLOPs per element: the function's `flops.d2f`.
 */
export const act_grad2: OpDef = {
  name: 'act_grad2',
  kind: 'activation',
  props: props(),
  doc: 'g ⊙ f″(x) for an activation f (second derivatives).',
  args: ACT_GRAD_ARGS,
  infer([g, x], a) {
    fnOf(a, 'act_grad2');
    if (!sameShape(g!.shape, x!.shape))
      opError('MDL4001', `act_grad2: g ${formatShape(g!.shape)} and x ${formatShape(x!.shape)} differ`);
    return [g!];
  },
  cost: (c) => ({ macs: 0, flops: fnOf(c.attrs, 'act_grad2').flops.d2f * numelOf(c.outputs[0]!) }),
  eval([g, x], a, ctx) {
    const fn = fnOf(a, 'act_grad2');
    const p = paramsOf(a);
    return [map2(g!, x!, ctx.alloc(g!.shape), (gv, xv) => gv * fn.d2f(NUMBERS, xv, p))];
  },
  vjp: null,
  jvp: null,
};
