import { formatShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { num, numelOf, props } from '../helpers.js';
import { crossEntropyRows } from '../cross_entropy.js';

/**
 * The VJP of cross_entropy: g·(softmax(logits) − q)/N for logits [N, C], i32 targets [N] and the
 * smoothed target distribution q. FLOPs: 5 per logit.
 */
export const cross_entropy_grad: OpDef = {
  name: 'cross_entropy_grad',
  kind: 'loss',
  props: props(),
  doc: 'Backward of cross_entropy with respect to the logits.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'logits', type: 'tensor' },
    { name: 'target', type: 'tensor' },
    { name: 'label_smoothing', type: 'float', default: 0.0 },
  ],
  infer([g, logits, target]) {
    if (g!.shape.length !== 0 || logits!.shape.length !== 2 || target!.shape.length !== 1 || target!.dtype !== 'i32')
      opError(
        'MDL4001',
        `cross_entropy_grad: expects a scalar g, logits [N, C] and i32 targets [N]; got ${formatShape(g!.shape)}, ${formatShape(logits!.shape)}, ${formatShape(target!.shape)} ${target!.dtype}`,
      );
    return [logits!];
  },
  cost: (c) => ({ macs: 0, flops: 5 * numelOf(c.outputs[0]!) }),
  eval([g, logits, target], a, ctx) {
    const d = ctx.alloc(logits!.shape);
    const [N, C] = logits!.shape as [number, number];
    const s = g!.data[0]! / N;
    crossEntropyRows(logits!, target!, num(a, 'label_smoothing'), (n, c, logp, q) => {
      d.data[n * C + c] = s * (Math.exp(logp) - q);
    });
    return [d];
  },
  vjp: null,
  jvp: null,
};
