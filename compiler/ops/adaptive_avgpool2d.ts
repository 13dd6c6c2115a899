import { avgpool2d } from './avgpool2d.js';
import { adaptivePool } from './helpers.js';

/**
 * torch.nn.AdaptiveAvgPool2d(size) for an output size that divides the input: average pooling
 * over the tiles kernel = stride = input / output (VGG's 7×7 head, a global pool at size 1).
 */
export const adaptive_avgpool2d = adaptivePool(
  'adaptive_avgpool2d',
  'Average pooling to an output size that divides the input (kernel = stride = input / output).',
  avgpool2d,
  { ceil_mode: false, count_include_pad: true },
);
