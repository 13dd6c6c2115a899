import { formatShape, isSym } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { allocLike, axisOf, int, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { aroundAxis } from '../reference/tensor.js';

/**
 * Concatenate along `axis`, as torch.cat: all inputs have the same rank and the same dims except
 * along the axis, where the sizes add (so they must be numbers, unless there is one input).
 */
export const concat: OpDef = {
  name: 'concat',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Concatenate tensors along an axis (default 1, the channels of NCHW).',
  args: [
    { name: 'xs', type: 'tensors' },
    { name: 'axis', type: 'int', default: 1 },
  ],
  infer(xs, a) {
    if (xs.length === 0) opError('MDL3006', 'concat: needs at least one tensor');
    const first = xs[0]!;
    const ax = axisOf(int(a, 'axis'), first, 'concat');
    let total = 0;
    xs.forEach((x, i) => {
      if (x.shape.length !== first.shape.length)
        opError(
          'MDL4008',
          `concat: input ${i + 1} ${formatShape(x.shape)} has rank ${x.shape.length} but input 1 ${formatShape(first.shape)} has rank ${first.shape.length}`,
        );
      if (x.dtype !== first.dtype)
        opError('MDL4009', `concat: input ${i + 1} has dtype ${x.dtype} but input 1 has dtype ${first.dtype}`);
      x.shape.forEach((d, j) => {
        if (j !== ax && d !== first.shape[j])
          opError(
            'MDL4001',
            `concat: input ${i + 1} ${formatShape(x.shape)} differs from input 1 ${formatShape(first.shape)} in dim ${j} (${d} vs ${first.shape[j]}); all dims except the concatenation axis ${ax} must match`,
          );
      });
      const d = x.shape[ax]!;
      if (isSym(d) && xs.length > 1)
        opError(
          'MDL4007',
          `concat: input ${i + 1} ${formatShape(x.shape)} has the symbolic dimension ${d} on the concatenation axis ${ax}; the sizes must be numbers to add up`,
        );
      if (!isSym(d)) total += d;
    });
    const shape = [...first.shape];
    if (xs.length > 1) shape[ax] = total;
    return [{ shape, dtype: first.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval(xs, a, ctx) {
    const y = allocLike(xs[0]!, ctx.outputs[0]!, ctx);
    const ax = normAxis(int(a, 'axis'), y.shape.length)!;
    const [outer, total, inner] = aroundAxis(y.shape, ax);
    let at = 0;
    for (const x of xs) {
      const n = x.shape[ax]!;
      for (let o = 0; o < outer; o++)
        y.data.set(x.data.subarray(o * n * inner, (o + 1) * n * inner), (o * total + at) * inner);
      at += n;
    }
    return [y];
  },
  // Each input's cotangent is its slice of the output's; the tangent is the concatenation of
  // the inputs' tangents (zeros where an input has none).
  vjp(b, n, [g], needs) {
    if (!g) return n.inputs.map(() => null);
    const ax = int(n.attrs, 'axis');
    let at = 0;
    return n.inputs.map((x, i) => {
      const d = b.shape(x)[normAxis(ax, b.shape(x).length)!] as number;
      const start = at;
      at += typeof d === 'number' ? d : 0;
      if (!needs[i]) return null;
      return n.inputs.length === 1 ? g : b.op1('slice', [g], { axis: ax, start, end: start + d, step: 1 });
    });
  },
  jvp(b, n, ts) {
    if (ts.every((t) => t === null)) return [null];
    return [
      b.op1(
        'concat',
        n.inputs.map((x, i) => ts[i] ?? b.constant(0, b.shape(x))),
        n.attrs,
      ),
    ];
  },
};
