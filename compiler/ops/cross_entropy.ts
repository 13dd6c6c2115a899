import { formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { num, requireRank, props } from './helpers.js';
import type { Tensor } from '../reference/tensor.js';

/**
 * Row by row: the log-softmax of the logits and the smoothed target distribution
 * q = (1 − ε)·onehot(target) + ε/C, handed to `each(n, c, logp, q)`.
 */
export function crossEntropyRows(
  logits: Tensor,
  target: Tensor,
  eps: number,
  each: (n: number, c: number, logp: number, q: number) => void,
): void {
  const [N, C] = logits.shape as [number, number];
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits.data[n * C + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits.data[n * C + c]! - m);
    const lse = m + Math.log(s);
    const t = target.data[n]!;
    if (!(t >= 0 && t < C))
      throw new Error(`cross_entropy: target ${t} of row ${n} is not a class index in 0..${C - 1}`);
    for (let c = 0; c < C; c++) each(n, c, logits.data[n * C + c]! - lse, (c === t ? 1 - eps : 0) + eps / C);
  }
}
import { numel } from '../ir/shape.js';

/**
 * Softmax cross-entropy against class indices, as torch.nn.functional.cross_entropy with mean
 * reduction: logits [N, C] f32, target [N] i32 → a scalar f32. label_smoothing in [0, 1].
 * FLOPs: 6 per logit (log-softmax 5, plus picking/smoothing and the mean, amortised to 1).
 */
export const cross_entropy: OpDef = {
  name: 'cross_entropy',
  kind: 'loss',
  props: props(),
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
  eval([logits, target], a, ctx) {
    let loss = 0;
    crossEntropyRows(logits!, target!, num(a, 'label_smoothing'), (_n, _c, logp, q) => {
      if (q !== 0) loss -= q * logp;
    });
    const y = ctx.alloc([]);
    y.data[0] = loss / logits!.shape[0]!;
    return [y];
  },
  // d logits = g·(softmax − q)/N (cross_entropy_grad); the integer target has none.
  vjp: (b, n, [g], needs) => [
    needs[0] && g
      ? b.op1('cross_entropy_grad', [g, n.inputs[0]!, n.inputs[1]!], { label_smoothing: n.attrs['label_smoothing']! })
      : null,
    null,
  ],
  jvp(b, n, [t]) {
    if (!t) return [null];
    const d = b.op1('cross_entropy_grad', [b.constant(1), n.inputs[0]!, n.inputs[1]!], {
      label_smoothing: n.attrs['label_smoothing']!,
    });
    return [b.op1('sum', [b.op1('mul', [d, t])], { axes: [0, 1] })];
  },
};
