import { formatShape, sameShape, numel } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';

/**
 * Mean squared error, as torch.nn.functional.mse_loss with mean reduction: pred and target of
 * the same shape (no broadcasting) → a scalar f32. FLOPs: 3 per element (sub, square, sum).
 */
export const mse: OpDef = {
  name: 'mse',
  kind: 'loss',
  doc: 'Mean squared error of two tensors of the same shape.',
  args: [
    { name: 'pred', type: 'tensor' },
    { name: 'target', type: 'tensor' },
  ],
  infer([pred, target]) {
    if (!sameShape(pred!.shape, target!.shape))
      opError(
        'MDL4001',
        `mse: prediction ${formatShape(pred!.shape)} and target ${formatShape(target!.shape)} differ in shape`,
      );
    if (pred!.dtype !== target!.dtype) opError('MDL4009', `mse: dtypes ${pred!.dtype} and ${target!.dtype} differ`);
    return [{ shape: [], dtype: 'f32' }];
  },
  cost: (c) => ({ macs: 0, flops: 3 * numel(c.inputs[0]!) }),
};
