import { formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { allocLike, axisOf, ints, linearJvp, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { gather, stridesOf } from '../reference/tensor.js';

/** Reorder dims: output dim i is input dim dims[i] (negative axes allowed), as torch.permute. */
export const permute: OpDef = {
  name: 'permute',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Reorder the dimensions: output dim i is input dim dims[i].',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'dims', type: 'ints' },
  ],
  infer([x], a) {
    const dims = ints(a, 'dims');
    const r = x!.shape.length;
    const bad = (): never =>
      opError(
        'MDL3006',
        `permute: [${dims.join(', ')}] is not a permutation of the ${r} dims of input ${formatShape(x!.shape)}`,
        `list each of 0..${r - 1} exactly once`,
      );
    if (dims.length !== r) bad();
    const norm = dims.map((d) => axisOf(d, x!, 'permute'));
    if (new Set(norm).size !== r) bad();
    return [{ shape: norm.map((i) => x!.shape[i]!), dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], a, ctx) {
    const perm = ints(a, 'dims').map((d) => normAxis(d, x!.shape.length)!);
    const st = stridesOf(x!.shape);
    const y = allocLike(x!, ctx.outputs[0]!, ctx);
    gather(
      x!.data,
      y.data,
      y.shape,
      0,
      perm.map((p) => st[p]!),
    );
    return [y];
  },
  vjp(b, n, [g], needs) {
    if (!needs[0] || !g) return [null];
    const perm = ints(n.attrs, 'dims').map((d) => normAxis(d, b.shape(n.inputs[0]!).length)!);
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [b.op1('permute', [g], { dims: inv })];
  },
  jvp: linearJvp,
};
