import { formatShape } from '../ir/shape.js';
import type { Attrs } from '../ir/types.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { allocLike, axisOf, int, ints, known, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { aroundAxis } from '../reference/tensor.js';

/** The part sizes of `split` along a dim of size n (throws OpError when they do not fit). */
export function splitSizes(
  n: number,
  sections: readonly number[],
  shape: readonly (number | string)[],
  ax: number,
): number[] {
  if (sections.length === 0) opError('MDL3006', 'split: sections must not be empty');
  if (sections.length === 1) {
    const parts = sections[0]!;
    if (parts < 1) opError('MDL3006', `split: the number of parts must be at least 1, got ${parts}`);
    if (n % parts !== 0)
      opError(
        'MDL4001',
        `split: axis ${ax} of input ${formatShape(shape)} has size ${n}, which does not divide into ${parts} equal parts`,
        'give the part sizes as a list instead, e.g. [a, b, c]',
      );
    return Array<number>(parts).fill(n / parts);
  }
  for (const s of sections)
    if (s < 1) opError('MDL3006', `split: part sizes must be at least 1, got [${sections.join(', ')}]`);
  const total = sections.reduce((p, s) => p + s, 0);
  if (total !== n)
    opError(
      'MDL4001',
      `split: part sizes [${sections.join(', ')}] add up to ${total}, but axis ${ax} of input ${formatShape(shape)} has size ${n}`,
    );
  return [...sections];
}

/**
 * Split along `axis`: `[n]` (or `n`) gives n equal parts (as torch.chunk, but the size must
 * divide); a longer list gives parts of those sizes, which must add up to the dim.
 */
export const split: OpDef = {
  name: 'split',
  kind: 'layout',
  props: props('homogeneous'),
  doc: 'Split along an axis into n equal parts ([n]) or parts of the listed sizes.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'sections', type: 'ints' },
    { name: 'axis', type: 'int', default: -1 },
  ],
  outputs(a: Attrs) {
    const s = ints(a, 'sections');
    return s.length === 1 ? s[0]! : s.length;
  },
  infer([x], a) {
    const ax = axisOf(int(a, 'axis'), x!, 'split');
    const n = known(x!.shape[ax]!, `the split dimension (axis ${ax})`, x!.shape, 'split');
    return splitSizes(n, ints(a, 'sections'), x!.shape, ax).map((size) => {
      const shape = [...x!.shape];
      shape[ax] = size;
      return { shape, dtype: x!.dtype };
    });
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], a, ctx) {
    const ax = normAxis(int(a, 'axis'), x!.shape.length)!;
    const [outer, total, inner] = aroundAxis(x!.shape, ax);
    let at = 0;
    return ctx.outputs.map((shape) => {
      const y = allocLike(x!, shape, ctx);
      const n = shape[ax]!;
      for (let o = 0; o < outer; o++)
        y.data.set(x!.data.subarray((o * total + at) * inner, (o * total + at + n) * inner), o * n * inner);
      at += n;
      return y;
    });
  },
  // The cotangent is the concatenation of the parts' cotangents (zeros for parts without one).
  vjp(b, n, cots, needs) {
    if (!needs[0] || cots.every((c) => c === null)) return [null];
    return [
      b.op1(
        'concat',
        n.outputs.map((o, i) => cots[i] ?? b.constant(0, b.shape(o))),
        { axis: int(n.attrs, 'axis') },
      ),
    ];
  },
  jvp: (b, n, [t]) => (t ? b.op(n.op, [t], n.attrs) : n.outputs.map(() => null)),
};
