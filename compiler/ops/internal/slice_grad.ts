import { formatShape, normAxis, sameShape } from '../../ir/shape.js';
import { gather, stridesOf } from '../../reference/tensor.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { int, intOrNull, linearJvp, shapeArg, props } from '../helpers.js';
import { sliceLength, sliceStart } from '../slice.js';

/**
 * The VJP of slice (and of select, after an unsqueeze): zeros of `shape` with g written at
 * positions start:end:step along `axis` (Python's rules, as slice). Its adjoint is slice.
 */
export const slice_grad: OpDef = {
  name: 'slice_grad',
  kind: 'layout',
  props: props(),
  doc: 'Backward of slice: scatter into zeros at start:end:step along an axis.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'shape', type: 'shape' },
    { name: 'axis', type: 'int' },
    { name: 'start', type: 'int', default: 0 },
    { name: 'end', type: 'int?', default: null },
    { name: 'step', type: 'int', default: 1 },
  ],
  infer([g], a) {
    const shape = shapeArg(a, 'shape');
    const ax = normAxis(int(a, 'axis'), shape.length);
    if (ax === undefined)
      return opError('MDL4003', `slice_grad: axis ${int(a, 'axis')} is out of range for ${formatShape(shape)}`);
    const d = shape[ax]!;
    const want = [...shape];
    want[ax] = typeof d === 'number' ? sliceLength(d, int(a, 'start'), intOrNull(a, 'end'), int(a, 'step')) : 1;
    if (!sameShape(want, g!.shape))
      opError(
        'MDL4001',
        `slice_grad: g ${formatShape(g!.shape)} is not the slice ${formatShape(want)} of ${formatShape(shape)}`,
      );
    return [{ shape, dtype: g!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([g], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const ax = normAxis(int(a, 'axis'), y.shape.length)!;
    const st = stridesOf(y.shape);
    const s = sliceStart(y.shape[ax]!, int(a, 'start'));
    gather(
      g!.data,
      y.data,
      g!.shape,
      0,
      stridesOf(g!.shape),
      s * st[ax]!,
      st.map((v, i) => (i === ax ? v * int(a, 'step') : v)),
    );
    return [y];
  },
  vjp: (b, n, [G], needs) => [
    needs[0] && G
      ? b.op1('slice', [G], {
          axis: n.attrs['axis']!,
          start: n.attrs['start']!,
          end: n.attrs['end']!,
          step: n.attrs['step']!,
        })
      : null,
  ],
  jvp: linearJvp,
};
