import { formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { allocLike, axisOf, int, intOrNull, known, linearJvp, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { gather, stridesOf } from '../reference/tensor.js';

/** Python's normalised start of `start:…` on a dim of size n. */
export const sliceStart = (n: number, start: number): number => Math.min(Math.max(start < 0 ? start + n : start, 0), n);

/** The length of Python's `range(n)[start:end:step]` for step ≥ 1. */
export function sliceLength(n: number, start: number, end: number | null, step: number): number {
  const clamp = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clamp(start);
  const e = end === null ? n : clamp(end);
  return e > s ? Math.ceil((e - s) / step) : 0;
}

/**
 * x[..., start:end:step, ...] along `axis` with Python's slicing rules (negative indices count
 * from the end, out-of-range indices clamp, end=none means the end). step ≥ 1; the axis must
 * be a number and the result non-empty.
 */
export const slice: OpDef = {
  name: 'slice',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Python-style slice start:end:step along an axis.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int' },
    { name: 'start', type: 'int', default: 0 },
    { name: 'end', type: 'int?', default: null },
    { name: 'step', type: 'int', default: 1 },
  ],
  infer([x], a) {
    const ax = axisOf(int(a, 'axis'), x!, 'slice');
    const n = known(x!.shape[ax]!, `the sliced dimension (axis ${ax})`, x!.shape, 'slice');
    const start = int(a, 'start');
    const end = intOrNull(a, 'end');
    const step = int(a, 'step');
    if (step < 1) opError('MDL3006', `slice: step must be at least 1, got ${step}`);
    const len = sliceLength(n, start, end, step);
    if (len <= 0)
      opError(
        'MDL4004',
        `slice: ${start}:${end ?? ''}:${step} on axis ${ax} of input ${formatShape(x!.shape)} is empty`,
      );
    const shape = [...x!.shape];
    shape[ax] = len;
    return [{ shape, dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], a, ctx) {
    const ax = normAxis(int(a, 'axis'), x!.shape.length)!;
    const st = stridesOf(x!.shape);
    const s = sliceStart(x!.shape[ax]!, int(a, 'start'));
    const y = allocLike(x!, ctx.outputs[0]!, ctx);
    gather(
      x!.data,
      y.data,
      y.shape,
      s * st[ax]!,
      st.map((v, i) => (i === ax ? v * int(a, 'step') : v)),
    );
    return [y];
  },
  // The cotangent is scattered back into zeros of the input's shape (slice_grad).
  vjp: (b, n, [g], needs) => [
    needs[0] && g
      ? b.op1('slice_grad', [g], {
          shape: [...b.shape(n.inputs[0]!)],
          axis: n.attrs['axis']!,
          start: n.attrs['start']!,
          end: n.attrs['end']!,
          step: n.attrs['step']!,
        })
      : null,
  ],
  jvp: linearJvp,
};
