import { formatShape } from '../../ir/shape.js';
import { aroundAxis } from '../../reference/tensor.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { known, numelOf, requireMinRank, props } from '../helpers.js';

/**
 * The gradient of linear with respect to its weight: dW = Σ dyᵀ·x over all leading dims, for
 * dy [..., out] and x [..., in], giving [out, in]. MACs: those of the forward layer, numel(dy)·in.
 */
export const linear_grad_weight: OpDef = {
  name: 'linear_grad_weight',
  kind: 'matmul',
  props: props(),
  doc: 'Backward of linear with respect to its weight: Σ dyᵀ·x.',
  args: [
    { name: 'dy', type: 'tensor' },
    { name: 'x', type: 'tensor' },
  ],
  infer([dy, x]) {
    requireMinRank(dy!, 1, 'linear_grad_weight', '[..., out]');
    if (dy!.shape.length !== x!.shape.length || dy!.shape.slice(0, -1).some((d, i) => d !== x!.shape[i]))
      opError(
        'MDL4001',
        `linear_grad_weight: dy ${formatShape(dy!.shape)} and x ${formatShape(x!.shape)} differ in their leading dims`,
      );
    const o = known(dy!.shape[dy!.shape.length - 1]!, 'the feature dim', dy!.shape, 'linear_grad_weight');
    const i = known(x!.shape[x!.shape.length - 1]!, 'the feature dim', x!.shape, 'linear_grad_weight');
    return [{ shape: [o, i], dtype: dy!.dtype }];
  },
  cost(c) {
    const macs = numelOf(c.inputs[0]!) * c.outputs[0]![1]!;
    return { macs, flops: 2 * macs };
  },
  eval([dy, x], _a, ctx) {
    const dw = ctx.alloc(ctx.outputs[0]!);
    const [m, o] = aroundAxis(dy!.shape, dy!.shape.length - 1);
    const k = x!.shape[x!.shape.length - 1]!;
    const acc = new Float64Array(o * k);
    for (let r = 0; r < m; r++)
      for (let j = 0; j < o; j++) {
        const g = dy!.data[r * o + j]!;
        if (g === 0) continue;
        for (let i = 0; i < k; i++) acc[j * k + i]! += g * x!.data[r * k + i]!;
      }
    dw.data.set(acc);
    return [dw];
  },
  // Bilinear: d dy = linear(x, G), d x = linear(dy, Gᵀ).
  vjp(b, n, [G], needs) {
    const [dy, x] = n.inputs as [number, number];
    if (!G) return [null, null];
    const gs = b.shape(G) as number[];
    return [
      needs[0] ? b.op1('linear', [x], { out: gs[0]!, bias: false }, [G]) : null,
      needs[1]
        ? b.op1('linear', [dy], { out: gs[1]!, bias: false }, [b.op1('transpose', [G], { dim0: 0, dim1: 1 })])
        : null,
    ];
  },
  jvp(b, n, [tdy, tx]) {
    const [dy, x] = n.inputs as [number, number];
    return [
      b.add(tdy ? b.op1('linear_grad_weight', [tdy, x]) : null, tx ? b.op1('linear_grad_weight', [dy, tx]) : null),
    ];
  },
};
