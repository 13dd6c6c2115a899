import { broadcastShapes, formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { out0, props } from './helpers.js';
import { broadcastIndex, size } from '../reference/tensor.js';

/**
 * Matrix product as torch.matmul for operands of rank ≥ 2: a [..., M, K] @ b [..., K, N] →
 * [..., M, N], the batch dimensions broadcast (NumPy rules). MACs = numel(out)·K.
 */
export const matmul: OpDef = {
  name: 'matmul',
  kind: 'matmul',
  props: props(),
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
  eval([a, b], _attrs, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const sa = a!.shape;
    const sb = b!.shape;
    const M = sa[sa.length - 2]!;
    const K = sa[sa.length - 1]!;
    const N = sb[sb.length - 1]!;
    const batch = y.shape.slice(0, -2);
    const ia = broadcastIndex(sa.slice(0, -2), batch);
    const ib = broadcastIndex(sb.slice(0, -2), batch);
    const acc = new Float64Array(N);
    for (let p = 0; p < size(batch); p++) {
      const ao = ia[p]! * M * K;
      const bo = ib[p]! * K * N;
      for (let i = 0; i < M; i++) {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const av = a!.data[ao + i * K + k]!;
          const br = bo + k * N;
          for (let j = 0; j < N; j++) acc[j]! += av * b!.data[br + j]!;
        }
        const yo = (p * M + i) * N;
        for (let j = 0; j < N; j++) y.data[yo + j] = acc[j]!;
      }
    }
    return [y];
  },
  // da = dy·bᵀ and db = aᵀ·dy (matmuls of the forward's MACs each), summed over broadcast batch dims.
  vjp(bd, n, [g], needs) {
    const [a, b] = n.inputs as [number, number];
    if (!g) return [null, null];
    const t = (v: number) => bd.op1('transpose', [v], { dim0: -2, dim1: -1 });
    return [
      needs[0] ? bd.sumTo(bd.op1('matmul', [g, t(b)]), bd.shape(a)) : null,
      needs[1] ? bd.sumTo(bd.op1('matmul', [t(a), g]), bd.shape(b)) : null,
    ];
  },
  jvp(bd, n, [ta, tb]) {
    const [a, b] = n.inputs as [number, number];
    return [bd.add(ta ? bd.op1('matmul', [ta, b]) : null, tb ? bd.op1('matmul', [a, tb]) : null)];
  },
};
