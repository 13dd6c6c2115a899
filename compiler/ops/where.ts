// where(cond, a, b): a where cond is not 0, b elsewhere (torch.where), with NumPy broadcasting
// of all three. `cond` may be of any dtype (a mask of 0s and 1s, or i32 indices); it is not
// differentiated. The gradient goes to a where cond holds and to b elsewhere.
import { broadcastShapes, formatShape } from '../ir/shape.js';
import { broadcastIndex } from '../reference/tensor.js';
import { out0, props } from './helpers.js';
import { opError, type OpDef } from './types.js';

export const where: OpDef = {
  name: 'where',
  kind: 'elementwise',
  doc: 'a where cond is not 0, b elsewhere, with broadcasting.',
  props: props('zero-preserving'),
  args: [
    { name: 'cond', type: 'tensor' },
    { name: 'a', type: 'tensor' },
    { name: 'b', type: 'tensor' },
  ],
  infer: ([c, a, b]) => {
    const ab = broadcastShapes(a!.shape, b!.shape);
    const s = ab && broadcastShapes(c!.shape, ab);
    if (!s)
      opError(
        'MDL4002',
        `where: shapes ${formatShape(c!.shape)}, ${formatShape(a!.shape)} and ${formatShape(b!.shape)} cannot be broadcast together`,
        'trailing dimensions must be equal, or 1',
      );
    if (a!.dtype !== b!.dtype) opError('MDL4009', `where: the dtypes of a (${a!.dtype}) and b (${b!.dtype}) differ`);
    return [{ shape: s, dtype: a!.dtype }];
  },
  // one select per element
  cost: (c) => ({ macs: 0, flops: out0(c) }),
  eval: ([c, a, b], _attrs, ctx) => {
    const shape = ctx.outputs[0]!;
    const out = a!.data instanceof Int32Array ? ctx.allocInt(shape) : ctx.alloc(shape);
    const [ic, ia, ib] = [c!, a!, b!].map((t) => broadcastIndex(t.shape, shape));
    for (let i = 0; i < out.data.length; i++)
      out.data[i] = c!.data[ic![i]!]! !== 0 ? a!.data[ia![i]!]! : b!.data[ib![i]!]!;
    return [out];
  },
  vjp: (bld, n, [g], needs) => {
    const [c, a, b] = n.inputs as [number, number, number];
    const zero = bld.constant(0);
    return [
      null,
      needs[1] && g ? bld.sumTo(bld.op1('where', [c, g, zero]), bld.shape(a)) : null,
      needs[2] && g ? bld.sumTo(bld.op1('where', [c, zero, g]), bld.shape(b)) : null,
    ];
  },
  jvp: (bld, n, [, ta, tb]) => {
    if (!ta && !tb) return [null];
    const zero = bld.constant(0);
    const t = bld.op1('where', [n.inputs[0]!, ta ?? zero, tb ?? zero]);
    return [bld.expandTo(t, bld.shape(n.outputs[0]!))];
  },
};
