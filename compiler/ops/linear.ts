import type { OpDef } from './types.js';
import { opError } from './types.js';
import { weightAndBias, bool, int, known, out0, requireMinRank, withAttrs, props } from './helpers.js';
import { aroundAxis } from '../reference/tensor.js';

/**
 * A fully connected layer over the last dimension, as torch.nn.Linear: x [..., in] → [..., out],
 * weight [out, in]. Initialisation is PyTorch's default: kaiming-uniform with a=√5 for the
 * weight, a bias uniform in ±1/√in. MACs = numel(out)·in; FLOPs = 2·MACs (+ numel(out) for the bias).
 */
export const linear: OpDef = {
  name: 'linear',
  kind: 'matmul',
  props: props('homogeneous'),
  doc: 'Fully connected layer over the last dimension: [..., in] → [..., out].',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'out', type: 'int', doc: 'output features' },
    { name: 'bias', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireMinRank(x!, 1, 'linear', '[..., in]');
    const out = int(a, 'out');
    if (out <= 0) opError('MDL3006', `linear: out must be positive, got ${out}`);
    known(x!.shape[x!.shape.length - 1]!, 'the feature (last) dimension', x!.shape, 'linear');
    return [{ shape: [...x!.shape.slice(0, -1), out], dtype: x!.dtype }];
  },
  params([x], a) {
    const fanIn = x!.shape[x!.shape.length - 1] as number;
    const out = int(a, 'out');
    return weightAndBias([out, fanIn], fanIn, out, bool(a, 'bias'));
  },
  cost(c) {
    const fanIn = c.params[0]![1]!;
    const macs = out0(c) * fanIn;
    return { macs, flops: 2 * macs + (c.params.length > 1 ? out0(c) : 0) };
  },
  eval([x, w, bias], _a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const [m, k] = aroundAxis(x!.shape, x!.shape.length - 1);
    const o = w!.shape[0]!;
    const xd = x!.data;
    const wd = w!.data;
    for (let r = 0; r < m; r++)
      for (let j = 0; j < o; j++) {
        let s = bias ? bias.data[j]! : 0;
        for (let i = 0; i < k; i++) s += xd[r * k + i]! * wd[j * k + i]!;
        y.data[r * o + j] = s;
      }
    return [y];
  },
  // dx = dy·W (a linear layer with the transposed weight), dW = Σ dyᵀx (linear_grad_weight),
  // db = dy summed over the leading dims. dx and dW each cost the forward MACs.
  vjp(b, n, [g], needs) {
    const [x, w] = n.inputs as [number, number];
    if (!g) return n.inputs.map(() => null);
    const xs = b.shape(x);
    const fanIn = xs[xs.length - 1] as number;
    const lead = Array.from({ length: xs.length - 1 }, (_, i) => i);
    return [
      needs[0]
        ? b.op1('linear', [g], { out: fanIn, bias: false }, [b.op1('transpose', [w], { dim0: 0, dim1: 1 })])
        : null,
      needs[1] ? b.op1('linear_grad_weight', [g, x]) : null,
      ...(n.inputs.length > 2 ? [needs[2] ? (lead.length ? b.op1('sum', [g], { axes: lead }) : g) : null] : []),
    ];
  },
  jvp(b, n, [tx, tw, tb]) {
    const [x, w] = n.inputs as [number, number];
    const a = withAttrs(n.attrs, { bias: false });
    let t = b.add(tx ? b.op1('linear', [tx], a, [w]) : null, tw ? b.op1('linear', [x], a, [tw]) : null);
    if (tb) t = b.add(t, b.expandTo(tb, b.shape(n.outputs[0]!)));
    return [t];
  },
};
