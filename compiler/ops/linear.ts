import type { OpDef } from './types.js';
import { opError } from './types.js';
import { bool, int, known, out0, requireMinRank } from './helpers.js';

/**
 * A fully connected layer over the last dimension, as torch.nn.Linear: x [..., in] → [..., out],
 * weight [out, in]. Initialisation is PyTorch's default: kaiming-uniform with a=√5 for the
 * weight, a bias uniform in ±1/√in. MACs = numel(out)·in; FLOPs = 2·MACs (+ numel(out) for the bias).
 */
export const linear: OpDef = {
  name: 'linear',
  kind: 'matmul',
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
    const bound = 1 / Math.sqrt(fanIn);
    const ps = [
      { name: 'weight', shape: [out, fanIn], init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn } as const },
    ];
    return bool(a, 'bias')
      ? [...ps, { name: 'bias', shape: [out], init: { kind: 'uniform', low: -bound, high: bound } as const }]
      : ps;
  },
  cost(c) {
    const fanIn = c.params[0]![1]!;
    const macs = out0(c) * fanIn;
    return { macs, flops: 2 * macs + (c.params.length > 1 ? out0(c) : 0) };
  },
};
