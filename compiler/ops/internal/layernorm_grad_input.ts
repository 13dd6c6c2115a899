import { formatShape, sameShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { num, numelOf, requireMinRank, props } from '../helpers.js';
import { layernormRows } from '../layernorm.js';

/**
 * The VJP (and, being symmetric, the JVP) of x ↦ x̂ in layernorm, applied to g row by row:
 * (1/σ)·(g − mean g − x̂·mean(g x̂)) over the last dim (the caller multiplies by the affine
 * weight). FLOPs: 8 per element.
 */
export const layernorm_grad_input: OpDef = {
  name: 'layernorm_grad_input',
  kind: 'normalization',
  props: props(),
  doc: 'Backward of layer normalisation with respect to its input (without the affine weight).',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'float' },
  ],
  infer([g, x]) {
    requireMinRank(x!, 1, 'layernorm_grad_input', '[..., D]');
    if (!sameShape(g!.shape, x!.shape))
      opError('MDL4001', `layernorm_grad_input: g ${formatShape(g!.shape)} and x ${formatShape(x!.shape)} differ`);
    return [g!];
  },
  cost: (c) => ({ macs: 0, flops: 8 * numelOf(c.outputs[0]!) }),
  eval([g, x], a, ctx) {
    const d = x!.shape[x!.shape.length - 1]!;
    const xhat = new Float64Array(x!.data.length);
    const inv = new Float64Array(x!.data.length / d);
    layernormRows(x!, num(a, 'eps'), (r, k, xh, iv) => {
      xhat[r * d + k] = xh;
      inv[r] = iv;
    });
    const dx = ctx.alloc(x!.shape);
    for (let r = 0; r < inv.length; r++) {
      let sg = 0;
      let sgx = 0;
      for (let k = 0; k < d; k++) {
        sg += g!.data[r * d + k]!;
        sgx += g!.data[r * d + k]! * xhat[r * d + k]!;
      }
      for (let k = 0; k < d; k++)
        dx.data[r * d + k] = inv[r]! * (g!.data[r * d + k]! - sg / d - (xhat[r * d + k]! * sgx) / d);
    }
    return [dx];
  },
  // Linear and self-adjoint in g (a per-channel or per-row scaled orthogonal projection), so its
  // VJP in g is itself: what differentiating an NTK-linearised model (rewrites/ntk_linear.ts)
  // through the tangent path needs. Not differentiable in x (a second derivative).
  vjp(b, n, [G], needs) {
    if (needs.slice(1).some(Boolean))
      throw new Error(
        `${n.name}: the second derivative of a normalisation with respect to its input is not implemented`,
      );
    return [
      needs[0] && G ? b.op1('layernorm_grad_input', [G, n.inputs[1]!], n.attrs) : null,
      ...n.inputs.slice(1).map(() => null),
    ];
  },
  jvp(b, n, [tg, ...rest]) {
    if (rest.some((t) => t !== null))
      throw new Error(
        `${n.name}: the second derivative of a normalisation with respect to its input is not implemented`,
      );
    return [tg ? b.op1('layernorm_grad_input', [tg, n.inputs[1]!], n.attrs) : null];
  },
};
