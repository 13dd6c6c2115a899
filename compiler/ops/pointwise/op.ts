// An activation as an op of the registry: shape in = shape out, its function's FLOPs per
// element, evaluated by running its rule on numbers, and differentiated through `act_grad`,
// which multiplies by f′(x) — for the VJP (g·f′(x)) and the JVP (ẋ·f′(x)) alike. The node's
// attributes choose the function and its parameters (gelu's approximation, leaky_relu's slope);
// derivative nodes carry both, so parametric activations differentiate like the others.
import { map1 } from '../../reference/kernels.js';
import { NUMBERS } from '../../reference/scalar.js';
import { out0 } from '../helpers.js';
import { opError, type IrBuilder, type OpDef } from '../types.js';
import type { Activation } from './fn.js';
import type { Node, ValueId } from '../../ir/types.js';

/** act_grad(g, x) for node n's function: g·f′(x). */
function actGrad(a: Activation, b: IrBuilder, n: Node, g: ValueId): ValueId {
  const { fn, params } = a.choose(n.attrs);
  return b.op1('act_grad', [g, n.inputs[0]!], params.length > 0 ? { fn: fn.name, params } : { fn: fn.name });
}

export function activationOp(a: Activation): OpDef {
  return {
    name: a.name,
    kind: a.kind ?? 'activation',
    doc: a.doc,
    props: a.props,
    args: [{ name: 'x', type: 'tensor' }, ...a.args],
    infer: ([x], attrs) => {
      // The binder checks choices the user wrote; this guards nodes that passes build.
      for (const s of a.args)
        if (s.oneOf && !s.oneOf.includes(attrs[s.name] as string))
          opError(
            'MDL3006',
            `${a.name}: ${s.name} must be one of ${s.oneOf.map((o) => `"${o}"`).join(', ')}, got "${String(attrs[s.name])}"`,
          );
      const problem = a.check?.(attrs);
      if (problem !== undefined) opError('MDL3006', `${a.name}: ${problem}`);
      return [x!];
    },
    cost: (c) => ({ macs: 0, flops: a.choose(c.attrs).fn.flops.f * out0(c) }),
    eval: ([x], attrs, ctx) => {
      const { fn, params } = a.choose(attrs);
      return [map1(x!, ctx.alloc(x!.shape), (v) => fn.f(NUMBERS, v, params))];
    },
    vjp: (b, n, [g], needs) => [needs[0] && g !== null ? actGrad(a, b, n, g) : null],
    jvp: (b, n, [t]) => [t ? actGrad(a, b, n, t) : null],
  };
}
