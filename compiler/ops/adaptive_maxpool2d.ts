import { adaptivePool } from './helpers.js';
import { maxpool2d } from './maxpool2d.js';

/**
 * torch.nn.AdaptiveMaxPool2d(size) for an output size that divides the input: max pooling over
 * the tiles kernel = stride = input / output.
 */
export const adaptive_maxpool2d = adaptivePool(
  'adaptive_maxpool2d',
  'Max pooling to an output size that divides the input (kernel = stride = input / output).',
  maxpool2d,
  { dilation: [1, 1], ceil_mode: false },
);
