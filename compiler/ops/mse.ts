import { formatShape, sameShape, numel } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import type { ValueId } from '../ir/types.js';
import { props } from './helpers.js';

/**
 * Mean squared error, as torch.nn.functional.mse_loss with mean reduction: pred and target of
 * the same shape (no broadcasting) → a scalar f32. FLOPs: 3 per element (sub, square, sum).
 */
export const mse: OpDef = {
  name: 'mse',
  kind: 'loss',
  props: props(),
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
  eval([p, t], _a, ctx) {
    let s = 0;
    for (let i = 0; i < p!.data.length; i++) {
      const d = p!.data[i]! - t!.data[i]!;
      s += d * d;
    }
    const y = ctx.alloc([]);
    y.data[0] = s / p!.data.length;
    return [y];
  },
  // d pred = 2·g·(pred − target)/numel (mse_grad); d target = −d pred.
  vjp(b, n, [g], needs) {
    if (!g || !(needs[0] || needs[1])) return [null, null];
    const d = b.op1('mse_grad', [g, n.inputs[0]!, n.inputs[1]!]);
    return [needs[0] ? d : null, needs[1] ? b.op1('neg', [d]) : null];
  },
  jvp(b, n, [tp, tt]) {
    if (!tp && !tt) return [null];
    const d = b.op1('mse_grad', [b.constant(1), n.inputs[0]!, n.inputs[1]!]);
    const dt: ValueId = tp && tt ? b.op1('sub', [tp, tt]) : tp ? tp : b.op1('neg', [tt!]);
    const prod = b.op1('mul', [d, dt]);
    const r = b.shape(prod).length;
    return [r ? b.op1('sum', [prod], { axes: Array.from({ length: r }, (_, i) => i) }) : prod];
  },
};
