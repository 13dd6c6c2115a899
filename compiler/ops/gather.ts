// gather(x, ids, axis=1): along `axis`, element l of the result is element ids[…, l] of x, with
// one list of ids per position of the leading dims (torch.gather with the ids broadcast over the
// trailing dims, numpy's take_along_axis). Masked autoencoders use it to keep a random subset
// of tokens and to put them back in order. An id outside [0, x.shape[axis]) reads zeros and
// receives no gradient.
import { formatShape } from '../ir/shape.js';
import { axisOf, int, props } from './helpers.js';
import { opError, type OpDef } from './types.js';

/** The leading dims, the gathered dim and the trailing dims of x for `axis`. */
export function gatherDims(x: readonly number[], axis: number): { lead: number; size: number; rest: number } {
  const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
  return { lead: prod(x.slice(0, axis)), size: x[axis]!, rest: prod(x.slice(axis + 1)) };
}

export const gather: OpDef = {
  name: 'gather',
  kind: 'layout',
  props: props(),
  doc: 'Elements of x along an axis picked by i32 ids, one list per position of the leading dims.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'ids', type: 'tensor', doc: 'i32 [leading dims…, L]' },
    { name: 'axis', type: 'int', default: 1 },
  ],
  infer([x, ids], a) {
    const ax = axisOf(int(a, 'axis'), x!, 'gather');
    const lead = x!.shape.slice(0, ax);
    if (ids!.dtype !== 'i32') opError('MDL4009', `gather: ids must be i32, got ${ids!.dtype}`);
    if (ids!.shape.length !== ax + 1 || lead.some((d, i) => ids!.shape[i] !== d))
      opError(
        'MDL4001',
        `gather: ids ${formatShape(ids!.shape)} must be [${lead.map(String).join(', ')}${lead.length ? ', ' : ''}L] for x ${formatShape(x!.shape)} along axis ${ax}`,
      );
    return [{ shape: [...lead, ids!.shape[ax]!, ...x!.shape.slice(ax + 1)], dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x, ids], a, ctx) {
    const ax = int(a, 'axis') < 0 ? int(a, 'axis') + x!.shape.length : int(a, 'axis');
    const { lead, size, rest } = gatherDims(x!.shape, ax);
    const L = ids!.shape[ax]!;
    const y = x!.data instanceof Int32Array ? ctx.allocInt(ctx.outputs[0]!) : ctx.alloc(ctx.outputs[0]!);
    for (let p = 0; p < lead; p++)
      for (let l = 0; l < L; l++) {
        const t = ids!.data[p * L + l]!;
        if (t >= 0 && t < size)
          for (let r = 0; r < rest; r++) y.data[(p * L + l) * rest + r] = x!.data[(p * size + t) * rest + r]!;
      }
    return [y];
  },
  // Linear in x: the VJP sums each gradient back into the element it was read from
  // (gather_grad), the JVP gathers the tangent; the ids are indices, not differentiated.
  vjp: (b, n, [g], needs) => {
    const [x, ids] = n.inputs as [number, number];
    const ax = int(n.attrs, 'axis') < 0 ? int(n.attrs, 'axis') + b.shape(x).length : int(n.attrs, 'axis');
    return [needs[0] && g ? b.op1('gather_grad', [g, ids], { axis: ax, size: b.shape(x)[ax] as number }) : null, null];
  },
  jvp: (b, n, [t]) => [t ? b.op1('gather', [t, n.inputs[1]!], n.attrs) : null],
};
