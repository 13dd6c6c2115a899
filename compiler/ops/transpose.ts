import type { OpDef } from './types.js';
import { allocLike, axisOf, int, linearJvp, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { gather, stridesOf } from '../reference/tensor.js';

/** Swap two dims (negative axes count from the end), as torch.transpose. */
export const transpose: OpDef = {
  name: 'transpose',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Swap two dimensions.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'dim0', type: 'int' },
    { name: 'dim1', type: 'int' },
  ],
  infer([x], a) {
    const i = axisOf(int(a, 'dim0'), x!, 'transpose');
    const j = axisOf(int(a, 'dim1'), x!, 'transpose');
    const s = [...x!.shape];
    [s[i], s[j]] = [s[j]!, s[i]!];
    return [{ shape: s, dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval([x], a, ctx) {
    const r = x!.shape.length;
    const i = normAxis(int(a, 'dim0'), r)!;
    const j = normAxis(int(a, 'dim1'), r)!;
    const st = stridesOf(x!.shape);
    [st[i], st[j]] = [st[j]!, st[i]!];
    const y = allocLike(x!, ctx.outputs[0]!, ctx);
    gather(x!.data, y.data, y.shape, 0, st);
    return [y];
  },
  vjp: (b, n, [g], needs) => [needs[0] && g ? b.op1('transpose', [g], n.attrs) : null],
  jvp: linearJvp,
};
