import { formatShape } from '../../ir/shape.js';
import { int, numelOf, props } from '../helpers.js';
import { opError, type OpDef } from '../types.js';

/**
 * The weight gradient of embedding: row r of [num, dim] sums g[p, :] over the positions p whose
 * id is r (ids outside [0, num) contribute nothing). FLOPs: one add per element of g.
 */
export const embedding_grad: OpDef = {
  name: 'embedding_grad',
  kind: 'layout',
  props: props(),
  doc: 'Backward of embedding: the output gradients summed into the rows their ids name.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'ids', type: 'tensor' },
    { name: 'num', type: 'int' },
  ],
  infer([g, ids], a) {
    const dim = g!.shape[g!.shape.length - 1]!;
    if (g!.shape.length !== ids!.shape.length + 1 || ids!.shape.some((d, i) => d !== g!.shape[i]))
      opError('MDL4001', `embedding_grad: g ${formatShape(g!.shape)} does not fit ids ${formatShape(ids!.shape)}`);
    return [{ shape: [int(a, 'num'), dim], dtype: 'f32' }];
  },
  cost: (c) => ({ macs: 0, flops: numelOf(c.inputs[0]!) }),
  eval([g, ids], a, ctx) {
    const dw = ctx.alloc(ctx.outputs[0]!);
    const [num, dim] = dw.shape as [number, number];
    const acc = new Float64Array(num * dim);
    for (let p = 0; p < ids!.data.length; p++) {
      const r = ids!.data[p]!;
      if (r >= 0 && r < num) for (let d = 0; d < dim; d++) acc[r * dim + d]! += g!.data[p * dim + d]!;
    }
    dw.data.set(acc);
    return [dw];
  },
  // linear in g: its adjoint is the lookup, its tangent the same sum of g's tangent
  vjp: (b, n, [G], needs) => [
    needs[0] && G ? b.op1('embedding', [n.inputs[1]!], { num: int(n.attrs, 'num'), dim: b.shape(G)[1]! }, [G]) : null,
    null,
  ],
  jvp: (b, n, [t]) => [t ? b.op1('embedding_grad', [t, n.inputs[1]!], n.attrs) : null],
};
