import type { OpDef } from './types.js';
import { bool, requireRank } from './helpers.js';
import { numel } from '../ir/shape.js';

/**
 * Global average pooling over H and W of an NCHW tensor, as nn.AdaptiveAvgPool2d(1):
 * [N, C, H, W] → [N, C, 1, 1] (keepdim) or [N, C]. FLOPs: one add per input element.
 */
export const global_avgpool: OpDef = {
  name: 'global_avgpool',
  kind: 'pool',
  doc: 'Average over H and W: [N, C, H, W] → [N, C, 1, 1] (keepdim) or [N, C].',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'keepdim', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireRank(x!, 4, 'global_avgpool', '[N, C, H, W]');
    const [n, c] = x!.shape;
    return [{ shape: bool(a, 'keepdim') ? [n!, c!, 1, 1] : [n!, c!], dtype: x!.dtype }];
  },
  cost: (c) => ({ macs: 0, flops: numel(c.inputs[0]!) }),
};
