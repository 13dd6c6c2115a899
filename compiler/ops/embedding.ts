// embedding(ids, num, dim): torch.nn.Embedding(num, dim) — row ids[…] of a weight [num, dim]
// (initialised normal(0, 1), as PyTorch's). An id outside [0, num) reads a row of zeros and
// receives no gradient (PyTorch raises an error instead), the same on the CPU and in a kernel.
import { formatShape } from '../ir/shape.js';
import { int, props } from './helpers.js';
import { opError, type OpDef } from './types.js';

export const embedding: OpDef = {
  name: 'embedding',
  kind: 'layout',
  props: props(),
  doc: 'Rows of a learnt table [num, dim] looked up by i32 ids, as torch.nn.Embedding.',
  args: [
    { name: 'ids', type: 'tensor' },
    { name: 'num', type: 'int', doc: 'the number of rows (ids lie in [0, num))' },
    { name: 'dim', type: 'int', doc: 'the width of a row' },
  ],
  infer([ids], a) {
    if (ids!.dtype !== 'i32')
      opError('MDL4009', `embedding: ids must be i32, got ${ids!.dtype} ${formatShape(ids!.shape)}`);
    if (int(a, 'num') <= 0 || int(a, 'dim') <= 0)
      opError('MDL3006', `embedding: num and dim must be positive, got ${int(a, 'num')} and ${int(a, 'dim')}`);
    return [{ shape: [...ids!.shape, int(a, 'dim')], dtype: 'f32' }];
  },
  params: (_, a) => [
    { name: 'weight', shape: [int(a, 'num'), int(a, 'dim')], init: { kind: 'normal', mean: 0, std: 1 } },
  ],
  // a copy: no arithmetic
  cost: () => ({ macs: 0, flops: 0 }),
  eval([ids, w], a, ctx) {
    const [num, dim] = [int(a, 'num'), int(a, 'dim')];
    const y = ctx.alloc(ctx.outputs[0]!);
    for (let p = 0; p < ids!.data.length; p++) {
      const r = ids!.data[p]!;
      if (r >= 0 && r < num) for (let d = 0; d < dim; d++) y.data[p * dim + d] = w!.data[r * dim + d]!;
    }
    return [y];
  },
  // The weight's gradient: each row sums the output gradients of the positions that read it
  // (embedding_grad); ids are indices, not differentiated. Linear in the weight: the tangent
  // is the lookup of the weight's tangent.
  vjp: (b, n, [g], needs) => [
    null,
    needs[1] && g ? b.op1('embedding_grad', [g, n.inputs[0]!], { num: int(n.attrs, 'num') }) : null,
  ],
  jvp: (b, n, [, tw]) => [tw ? b.op1('embedding', [n.inputs[0]!], n.attrs, [tw]) : null],
};
