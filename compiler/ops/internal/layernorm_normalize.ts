import type { OpDef } from '../types.js';
import { num, numelOf, requireMinRank, props } from '../helpers.js';
import { layernormRows } from '../layernorm.js';

/**
 * x̂ = (x − mean)/√(var + eps) over the last dim (biased variance), no affine: used for the
 * weight gradient and the JVP of layernorm. FLOPs: 6 per element.
 */
export const layernorm_normalize: OpDef = {
  name: 'layernorm_normalize',
  kind: 'normalization',
  props: props(),
  doc: 'The normalised input x̂ of layernorm (no affine).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'float' },
  ],
  infer([x]) {
    requireMinRank(x!, 1, 'layernorm_normalize', '[..., D]');
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: 6 * numelOf(c.outputs[0]!) }),
  eval([x], a, ctx) {
    const y = ctx.alloc(x!.shape);
    const d = x!.shape[x!.shape.length - 1]!;
    layernormRows(x!, num(a, 'eps'), (r, k, xh) => {
      y.data[r * d + k] = xh;
    });
    return [y];
  },
  vjp: null,
  jvp: null,
};
