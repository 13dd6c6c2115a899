import { formatShape } from '../../ir/shape.js';
import { gatherDims } from '../gather.js';
import { int, numelOf, props } from '../helpers.js';
import { opError, type OpDef } from '../types.js';

/**
 * The VJP of gather: element t of x's gathered axis sums the gradients of the positions whose id
 * is t (`size` = that axis's length). FLOPs: one add per element of g.
 */
export const gather_grad: OpDef = {
  name: 'gather_grad',
  kind: 'layout',
  props: props(),
  doc: 'Backward of gather: each gradient summed into the element it was read from.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'ids', type: 'tensor' },
    { name: 'axis', type: 'int' },
    { name: 'size', type: 'int' },
  ],
  infer([g, ids], a) {
    const ax = int(a, 'axis');
    if (ids!.shape.length !== ax + 1 || ids!.shape.some((d, i) => g!.shape[i] !== d))
      opError('MDL4001', `gather_grad: g ${formatShape(g!.shape)} does not fit ids ${formatShape(ids!.shape)}`);
    return [{ shape: [...g!.shape.slice(0, ax), int(a, 'size'), ...g!.shape.slice(ax + 1)], dtype: g!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: numelOf(c.inputs[0]!) }),
  eval([g, ids], a, ctx) {
    const ax = int(a, 'axis');
    const dx = ctx.alloc(ctx.outputs[0]!);
    const { lead, size, rest } = gatherDims(dx.shape, ax);
    const L = ids!.shape[ax]!;
    const acc = new Float64Array(dx.data.length);
    for (let p = 0; p < lead; p++)
      for (let l = 0; l < L; l++) {
        const t = ids!.data[p * L + l]!;
        if (t >= 0 && t < size)
          for (let r = 0; r < rest; r++) acc[(p * size + t) * rest + r]! += g!.data[(p * L + l) * rest + r]!;
      }
    dx.data.set(acc);
    return [dx];
  },
  vjp: (b, n, [G], needs) => [
    needs[0] && G ? b.op1('gather', [G, n.inputs[1]!], { axis: int(n.attrs, 'axis') }) : null,
    null,
  ],
  jvp: (b, n, [t]) => [t ? b.op1('gather_grad', [t, n.inputs[1]!], n.attrs) : null],
};
