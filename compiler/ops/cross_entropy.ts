import { formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { num, requireRank } from './helpers.js';
import { numel } from '../ir/shape.js';

/**
 * Softmax cross-entropy against class indices, as torch.nn.functional.cross_entropy with mean
 * reduction: logits [N, C] f32, target [N] i32 → a scalar f32. label_smoothing in [0, 1].
 * FLOPs: 6 per logit (log-softmax 5, plus picking/smoothing and the mean, amortised to 1).
 */
export const cross_entropy: OpDef = {
  name: 'cross_entropy',
  kind: 'loss',
  doc: 'Mean softmax cross-entropy of logits [N, C] against class indices [N] (i32).',
  args: [
    { name: 'logits', type: 'tensor' },
    { name: 'target', type: 'tensor' },
    { name: 'label_smoothing', type: 'float', default: 0.0 },
  ],
  infer([logits, target], a) {
    requireRank(logits!, 2, 'cross_entropy', 'of logits [N, C]');
    requireRank(target!, 1, 'cross_entropy', 'of class indices [N]');
    if (logits!.dtype !== 'f32') opError('MDL4009', `cross_entropy: logits must be f32, got ${logits!.dtype}`);
    if (target!.dtype !== 'i32')
      opError(
        'MDL4009',
        `cross_entropy: target must hold class indices of dtype i32, got ${target!.dtype}`,
        'declare the labels input with an integer dtype, e.g. `y: i32[B]`',
      );
    if (logits!.shape[0] !== target!.shape[0])
      opError(
        'MDL4001',
        `cross_entropy: logits ${formatShape(logits!.shape)} have batch ${logits!.shape[0]} but target ${formatShape(target!.shape)} has ${target!.shape[0]}`,
      );
    const ls = num(a, 'label_smoothing');
    if (!(ls >= 0 && ls <= 1)) opError('MDL3006', `cross_entropy: label_smoothing must be in [0, 1], got ${ls}`);
    return [{ shape: [], dtype: 'f32' }];
  },
  cost: (c) => ({ macs: 0, flops: 6 * numel(c.inputs[0]!) }),
};
