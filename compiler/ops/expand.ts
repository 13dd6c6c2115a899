import { formatShape, isSym } from '../ir/shape.js';
import type { Dim } from '../ir/types.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { linearJvp, shapeArg, props } from './helpers.js';
import { broadcastInto } from '../reference/kernels.js';

/**
 * Broadcast to `shape`, as torch.expand: the target has at least the input's rank; new leading
 * dims are added; an aligned dim stays when the target says -1 or the same size, and a dim of 1
 * grows to the target. New leading dims cannot be -1.
 */
export const expand: OpDef = {
  name: 'expand',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Broadcast to a larger shape (-1 keeps a dim).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'shape', type: 'shape' },
  ],
  infer([x], a) {
    const src = x!.shape;
    const tgt = shapeArg(a, 'shape');
    if (tgt.length < src.length)
      opError('MDL4008', `expand: target ${formatShape(tgt)} has fewer dims than input ${formatShape(src)}`);
    const lead = tgt.length - src.length;
    const out: Dim[] = tgt.map((t, i) => {
      if (!isSym(t) && t !== -1 && (!Number.isInteger(t) || t <= 0))
        opError('MDL3006', `expand: target ${formatShape(tgt)} has the invalid dimension ${t}`);
      if (i < lead) {
        if (t === -1)
          opError('MDL3006', `expand: -1 in target ${formatShape(tgt)} at new leading dim ${i}; new dims need a size`);
        return t;
      }
      const s = src[i - lead]!;
      if (t === -1 || t === s) return s;
      if (s === 1) return t;
      return opError(
        'MDL4002',
        `expand: input ${formatShape(src)} cannot be expanded to ${formatShape(tgt)}: dim ${i - lead} has size ${s}, and only a dim of 1 can grow (to ${t})`,
      );
    });
    return [{ shape: out, dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], _a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    broadcastInto(x!.data, x!.shape, y.shape, y.data);
    return [y];
  },
  vjp: (b, n, [g], needs) => [needs[0] && g ? b.sumTo(g, b.shape(n.inputs[0]!)) : null],
  jvp: linearJvp,
};
