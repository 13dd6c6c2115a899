import { broadcastShapes, formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { out0 } from './helpers.js';

/**
 * Matrix product as torch.matmul for operands of rank ≥ 2: a [..., M, K] @ b [..., K, N] →
 * [..., M, N], the batch dimensions broadcast (NumPy rules). MACs = numel(out)·K.
 */
export const matmul: OpDef = {
  name: 'matmul',
  kind: 'matmul',
  doc: 'Batched matrix product [..., M, K] @ [..., K, N] → [..., M, N]; batch dims broadcast.',
  args: [
    { name: 'a', type: 'tensor' },
    { name: 'b', type: 'tensor' },
  ],
  infer([a, b]) {
    for (const [t, which] of [
      [a!, 'first'],
      [b!, 'second'],
    ] as const)
      if (t.shape.length < 2)
        opError(
          'MDL4008',
          `matmul: the ${which} operand ${formatShape(t.shape)} has rank ${t.shape.length}; both operands need rank ≥ 2`,
          'use unsqueeze to add a dimension of size 1',
        );
    const sa = a!.shape;
    const sb = b!.shape;
    const m = sa[sa.length - 2]!;
    const k1 = sa[sa.length - 1]!;
    const k2 = sb[sb.length - 2]!;
    const n = sb[sb.length - 1]!;
    if (k1 !== k2)
      opError(
        'MDL4001',
        `matmul: inner dimensions differ: ${formatShape(sa)} has ${k1} columns but ${formatShape(sb)} has ${k2} rows`,
        'the last dimension of the first operand must equal the second-to-last of the second',
      );
    const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
    if (!batch)
      opError(
        'MDL4002',
        `matmul: batch dimensions ${formatShape(sa.slice(0, -2))} of ${formatShape(sa)} and ${formatShape(sb.slice(0, -2))} of ${formatShape(sb)} cannot be broadcast together`,
      );
    if (a!.dtype !== b!.dtype) opError('MDL4009', `matmul: dtypes ${a!.dtype} and ${b!.dtype} differ`);
    return [{ shape: [...batch, m, n], dtype: a!.dtype }];
  },
  cost(c) {
    const sa = c.inputs[0]!;
    const k = sa[sa.length - 1]!;
    const macs = out0(c) * k;
    return { macs, flops: 2 * macs };
  },
};
