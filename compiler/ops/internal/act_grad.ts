import { formatShape, sameShape } from '../../ir/shape.js';
import type { Attrs } from '../../ir/types.js';
import { map2 } from '../../reference/kernels.js';
import { NUMBERS } from '../../reference/scalar.js';
import type { PointwiseFn } from '../pointwise/fn.js';
import { POINTWISE_NAMES, pointwiseFn } from '../pointwise/index.js';
import type { ArgSpec, OpDef } from '../types.js';
import { opError } from '../types.js';
import { numelOf, str, props } from '../helpers.js';

/** The arguments of act_grad and act_grad2: g, x, the function and its numeric parameters. */
export const ACT_GRAD_ARGS: readonly ArgSpec[] = [
  { name: 'g', type: 'tensor' },
  { name: 'x', type: 'tensor' },
  { name: 'fn', type: 'string', oneOf: POINTWISE_NAMES },
  { name: 'params', type: 'floats', default: [] },
];

/** The function a derivative node names, with as many parameters as it takes (checked by `infer`, so later stages may assume both). */
export function fnOf(a: Attrs, op: string): PointwiseFn {
  const fn = pointwiseFn(str(a, 'fn'));
  if (!fn) opError('MDL3006', `${op}: unknown function "${str(a, 'fn')}"`);
  const n = (a['params'] as readonly number[] | undefined)?.length ?? 0;
  if (n !== fn.params.length)
    opError(
      'MDL3006',
      `${op}: ${fn.name} takes ${fn.params.length} parameter(s) (${fn.params.map((p) => p.name).join(', ')}), got ${n}`,
    );
  return fn;
}

export const paramsOf = (a: Attrs): readonly number[] => a['params'] as readonly number[];

/**
 * g ⊙ f′(x) for a pointwise function f (compiler/ops/pointwise/): the VJP and the JVP of every
 * activation. Its own derivatives use f″ (act_grad2), so gradients of gradients (Hessian-vector
 * products) go through activations. FLOPs per element: the function's `flops.df`.
 */
export const act_grad: OpDef = {
  name: 'act_grad',
  kind: 'activation',
  props: props(),
  doc: 'g ⊙ f′(x) for an activation f (the derivative of relu, gelu, …).',
  args: ACT_GRAD_ARGS,
  infer([g, x], a) {
    fnOf(a, 'act_grad');
    if (!sameShape(g!.shape, x!.shape))
      opError('MDL4001', `act_grad: g ${formatShape(g!.shape)} and x ${formatShape(x!.shape)} differ`);
    return [g!];
  },
  cost: (c) => ({ macs: 0, flops: fnOf(c.attrs, 'act_grad').flops.df * numelOf(c.outputs[0]!) }),
  eval([g, x], a, ctx) {
    const fn = fnOf(a, 'act_grad');
    const p = paramsOf(a);
    return [map2(g!, x!, ctx.alloc(g!.shape), (gv, xv) => gv * fn.df(NUMBERS, xv, p))];
  },
  // ∂/∂g = f′(x), ∂/∂x = g·f″(x)
  vjp: (b, n, [G], needs) => {
    const [g, x] = n.inputs as [number, number];
    if (!G) return [null, null];
    return [
      needs[0] ? b.op1('act_grad', [G, x], n.attrs) : null,
      needs[1] ? b.op1('act_grad2', [b.op1('mul', [G, g]), x], n.attrs) : null,
    ];
  },
  jvp: (b, n, [tg, tx]) => {
    const [g, x] = n.inputs as [number, number];
    return [
      b.add(
        tg ? b.op1('act_grad', [tg, x], n.attrs) : null,
        tx ? b.op1('act_grad2', [b.op1('mul', [g, tx]), x], n.attrs) : null,
      ),
    ];
  },
};
