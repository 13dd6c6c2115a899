import { formatShape, isSym } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { allocLike, axisOf, int, linearJvp, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { gather, stridesOf } from '../reference/tensor.js';

/**
 * x[..., index, ...] along `axis`: removes the axis, as torch.select. A negative index counts
 * from the end. On a symbolic dim only 0 and -1 are accepted (every dim is at least 1).
 */
export const select: OpDef = {
  name: 'select',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Pick one index along an axis, removing that axis (x[:, 0]).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int' },
    { name: 'index', type: 'int' },
  ],
  infer([x], a) {
    const ax = axisOf(int(a, 'axis'), x!, 'select');
    const index = int(a, 'index');
    const d = x!.shape[ax]!;
    if (isSym(d)) {
      if (index !== 0 && index !== -1)
        opError(
          'MDL4007',
          `select: index ${index} on axis ${ax} of input ${formatShape(x!.shape)} needs the size of the symbolic dimension ${d}`,
          'only 0 and -1 are valid for every size',
        );
    } else if (index < -d || index >= d)
      opError(
        'MDL3006',
        `select: index ${index} is out of range for axis ${ax} of size ${d} in input ${formatShape(x!.shape)}`,
      );
    return [{ shape: x!.shape.filter((_, i) => i !== ax), dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], a, ctx) {
    const ax = normAxis(int(a, 'axis'), x!.shape.length)!;
    const st = stridesOf(x!.shape);
    const index = int(a, 'index');
    const i = index < 0 ? index + x!.shape[ax]! : index;
    const y = allocLike(x!, ctx.outputs[0]!, ctx);
    gather(
      x!.data,
      y.data,
      y.shape,
      i * st[ax]!,
      st.filter((_, k) => k !== ax),
    );
    return [y];
  },
  // The cotangent, with the axis restored, is scattered into zeros at the index (slice_grad).
  vjp(b, n, [g], needs) {
    if (!needs[0] || !g) return [null];
    const xs = b.shape(n.inputs[0]!);
    const ax = normAxis(int(n.attrs, 'axis'), xs.length)!;
    const index = int(n.attrs, 'index');
    const end = index === -1 ? null : index + 1;
    return [
      b.op1('slice_grad', [b.op1('unsqueeze', [g], { axis: ax })], {
        shape: [...xs],
        axis: ax,
        start: index,
        end,
        step: 1,
      }),
    ];
  },
  jvp: linearJvp,
};
