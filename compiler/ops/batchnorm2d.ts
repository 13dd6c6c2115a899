import type { OpDef, ParamSpec } from './types.js';
import { opError } from './types.js';
import { bool, known, num, out0, requireRank } from './helpers.js';

/**
 * Batch normalisation over NCHW input, as torch.nn.BatchNorm2d: per channel C, weight [C] ones
 * and bias [C] zeros (when affine), and the buffers running_mean [C] zeros and running_var [C]
 * ones (state, not parameters).
 *
 * FLOPs: 4 per element — the inference form: subtract the mean, multiply by the precomputed
 * 1/√(var+eps), then the affine scale and shift. Training additionally computes the batch
 * statistics (about 3 more per element) and updates the running averages (per channel); those
 * are not counted here.
 */
export const batchnorm2d: OpDef = {
  name: 'batchnorm2d',
  kind: 'normalization',
  doc: 'Batch normalisation over the channels of an NCHW tensor.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'float', default: 1e-5 },
    { name: 'momentum', type: 'float', default: 0.1 },
    { name: 'affine', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireRank(x!, 4, 'batchnorm2d', '[N, C, H, W]');
    known(x!.shape[1]!, 'the channel dimension', x!.shape, 'batchnorm2d');
    const eps = num(a, 'eps');
    const momentum = num(a, 'momentum');
    if (!(eps > 0)) opError('MDL3006', `batchnorm2d: eps must be positive, got ${eps}`);
    if (!(momentum >= 0 && momentum <= 1))
      opError('MDL3006', `batchnorm2d: momentum must be in [0, 1], got ${momentum}`);
    return [x!];
  },
  params([x], a) {
    const c = x!.shape[1] as number;
    const ps: ParamSpec[] = [];
    if (bool(a, 'affine'))
      ps.push(
        { name: 'weight', shape: [c], init: { kind: 'ones' } },
        { name: 'bias', shape: [c], init: { kind: 'zeros' } },
      );
    ps.push(
      { name: 'running_mean', shape: [c], init: { kind: 'zeros' }, buffer: true },
      { name: 'running_var', shape: [c], init: { kind: 'ones' }, buffer: true },
    );
    return ps;
  },
  cost: (c) => ({ macs: 0, flops: 4 * out0(c) }),
};
