import { formatShape } from '../../ir/shape.js';
import type { Tensor } from '../../reference/tensor.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, num, numelOf, requireRank, props } from '../helpers.js';

/**
 * Per-channel statistics of x [N, C, H, W] as batchnorm normalises with them: in training the
 * batch mean and biased batch variance, else the running statistics. Returns mean and 1/√(var+eps).
 */
export function bnStats(
  x: Tensor,
  rm: Tensor,
  rv: Tensor,
  eps: number,
  training: boolean,
): { mean: Float64Array; inv: Float64Array } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const hw = H * W;
  const mean = new Float64Array(C);
  const inv = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    if (!training) {
      mean[c] = rm.data[c]!;
      inv[c] = 1 / Math.sqrt(rv.data[c]! + eps);
      continue;
    }
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < hw; k++) s += x.data[(n * C + c) * hw + k]!;
    const m = s / (N * hw);
    let q = 0;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < hw; k++) {
        const d = x.data[(n * C + c) * hw + k]! - m;
        q += d * d;
      }
    mean[c] = m;
    inv[c] = 1 / Math.sqrt(q / (N * hw) + eps);
  }
  return { mean, inv };
}

/**
 * x̂ = (x − mean)/√(var + eps) per channel of x [N, C, H, W], with the statistics batchnorm2d
 * uses in the given mode (batch statistics when `training`, else the running ones); no affine,
 * no running-statistics update. Used for the weight gradient and the JVP of batchnorm2d.
 * FLOPs: 4 per element in training (statistics, centre, scale), 2 otherwise.
 */
export const batchnorm2d_normalize: OpDef = {
  name: 'batchnorm2d_normalize',
  kind: 'normalization',
  props: props(),
  doc: 'The normalised input x̂ of batchnorm2d (no affine, no state update).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'running_mean', type: 'tensor' },
    { name: 'running_var', type: 'tensor' },
    { name: 'eps', type: 'float' },
    { name: 'training', type: 'bool' },
  ],
  infer([x, rm, rv]) {
    requireRank(x!, 4, 'batchnorm2d_normalize', '[N, C, H, W]');
    if (rm!.shape.length !== 1 || rm!.shape[0] !== x!.shape[1] || rv!.shape[0] !== x!.shape[1])
      opError(
        'MDL4001',
        `batchnorm2d_normalize: statistics ${formatShape(rm!.shape)} do not match the channels of ${formatShape(x!.shape)}`,
      );
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: (bool(c.attrs, 'training') ? 4 : 2) * numelOf(c.outputs[0]!) }),
  eval([x, rm, rv], a, ctx) {
    const { mean, inv } = bnStats(x!, rm!, rv!, num(a, 'eps'), bool(a, 'training'));
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const y = ctx.alloc(x!.shape);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let k = 0; k < H * W; k++) {
          const i = (n * C + c) * H * W + k;
          y.data[i] = (x!.data[i]! - mean[c]!) * inv[c]!;
        }
    return [y];
  },
  vjp: null,
  jvp: null,
};
