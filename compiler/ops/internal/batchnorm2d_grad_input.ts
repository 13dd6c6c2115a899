import { formatShape, sameShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, num, numelOf, requireRank, props } from '../helpers.js';
import { bnStats } from './batchnorm2d_normalize.js';
import type { Tensor } from '../../reference/tensor.js';

/** Per channel of x [N, C, H, W]: Σ g and Σ g·x̂ over N, H, W, with x̂ from the given statistics. */
export function bnGradSums(
  g: Tensor,
  x: Tensor,
  mean: Float64Array,
  inv: Float64Array,
): { sg: Float64Array; sgx: Float64Array } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const hw = H * W;
  const sg = new Float64Array(C);
  const sgx = new Float64Array(C);
  for (let c = 0; c < C; c++)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < hw; k++) {
        const i = (n * C + c) * hw + k;
        sg[c] += g.data[i]!;
        sgx[c] += g.data[i]! * (x.data[i]! - mean[c]!) * inv[c]!;
      }
  return { sg, sgx };
}

/**
 * The VJP (and, being symmetric, the JVP) of x ↦ x̂ in batchnorm2d, applied to g [N, C, H, W]
 * (the caller multiplies by the affine weight). Training: (1/σ)·(g − mean g − x̂·mean(g x̂))
 * with the batch statistics of x, means over N, H, W. Inference: g/√(running_var + eps).
 * FLOPs: 6 per element in training, 1 otherwise.
 */
export const batchnorm2d_grad_input: OpDef = {
  name: 'batchnorm2d_grad_input',
  kind: 'normalization',
  props: props(),
  doc: 'Backward of batch normalisation with respect to its input (without the affine weight).',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'x', type: 'tensor' },
    { name: 'running_var', type: 'tensor' },
    { name: 'eps', type: 'float' },
    { name: 'training', type: 'bool' },
  ],
  infer([g, x, rv]) {
    requireRank(x!, 4, 'batchnorm2d_grad_input', '[N, C, H, W]');
    if (!sameShape(g!.shape, x!.shape) || rv!.shape[0] !== x!.shape[1])
      opError(
        'MDL4001',
        `batchnorm2d_grad_input: g ${formatShape(g!.shape)}, x ${formatShape(x!.shape)} and running_var ${formatShape(rv!.shape)} do not fit`,
      );
    return [g!];
  },
  cost: (c) => ({ macs: 0, flops: (bool(c.attrs, 'training') ? 6 : 1) * numelOf(c.outputs[0]!) }),
  eval([g, x, rv], a, ctx) {
    const training = bool(a, 'training');
    const { mean, inv } = bnStats(x!, rv!, rv!, num(a, 'eps'), training);
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const hw = H * W;
    const dx = ctx.alloc(x!.shape);
    const sums = training ? bnGradSums(g!, x!, mean, inv) : undefined;
    for (let c = 0; c < C; c++) {
      const mg = (sums?.sg[c] ?? 0) / (N * hw);
      const mgx = (sums?.sgx[c] ?? 0) / (N * hw);
      for (let n = 0; n < N; n++)
        for (let k = 0; k < hw; k++) {
          const i = (n * C + c) * hw + k;
          dx.data[i] = training
            ? inv[c]! * (g!.data[i]! - mg - (x!.data[i]! - mean[c]!) * inv[c]! * mgx)
            : g!.data[i]! * inv[c]!;
        }
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
      needs[0] && G ? b.op1('batchnorm2d_grad_input', [G, n.inputs[1]!, n.inputs[2]!], n.attrs) : null,
      ...n.inputs.slice(1).map(() => null),
    ];
  },
  jvp(b, n, [tg, ...rest]) {
    if (rest.some((t) => t !== null))
      throw new Error(
        `${n.name}: the second derivative of a normalisation with respect to its input is not implemented`,
      );
    return [tg ? b.op1('batchnorm2d_grad_input', [tg, n.inputs[1]!, n.inputs[2]!], n.attrs) : null];
  },
};
