// linear and matmul as GEMM problems (gemm.ts): which operand is uniform and which is on the
// lanes, and how each output element maps back to the op's output index.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx, KernelLowering, View } from '../lowering.js';
import { batchStridesOf, buildGemm, operand, swapForLanes, type GemmProblem } from './gemm.js';

function viewOf(ctx: AnchorCtx, i: number): View {
  const v = ctx.inputs[i]!.view;
  if (!v) throw new Error(`${ctx.node.name}: input ${i} is not a buffer`);
  return v;
}

/** x [..., K] · Wᵀ (+ bias) with W [N, K]: rows are x's leading dims, columns are N. */
export const linear: KernelLowering = {
  kind: 'kernel',
  buffers: () => [0, 1],
  build(ctx) {
    const x = viewOf(ctx, 0);
    const w = viewOf(ctx, 1);
    const bias = ctx.inputs[2];
    const r = x.shape.length;
    const lead = x.shape.slice(0, -1);
    const M = lead.reduce((a, d) => a * d, 1);
    const [N, K] = w.shape as [number, number];
    const xs = operand(
      x,
      [],
      lead.map((_, i) => i),
      r - 1,
    );
    const ws = operand(w, [], [0], 1);
    const out = (m: Expr, n: Expr, v: Expr) =>
      ctx.emit(0, [...E.unflatten(m, lead), n], bias ? E.add(v, bias.at([n])) : v);
    const swap = swapForLanes(M, N);
    const p: GemmProblem = swap
      ? { batch: [], R: N, C: M, K, u: ws, v: xs, emit: (_p, row, col, v) => out(col, row, v) }
      : { batch: [], R: M, C: N, K, u: xs, v: ws, emit: (_p, row, col, v) => out(row, col, v) };
    buildGemm(ctx, p);
  },
};

/** a [..., M, K] @ b [..., K, N], batch dims broadcast. */
export const matmul: KernelLowering = {
  kind: 'kernel',
  buffers: () => 'all',
  build(ctx) {
    const a = viewOf(ctx, 0);
    const bm = viewOf(ctx, 1);
    const out = ctx.outShapes[0]!;
    const batch = out.slice(0, -2);
    const ra = a.shape.length;
    const rb = bm.shape.length;
    const M = a.shape[ra - 2]!;
    const K = a.shape[ra - 1]!;
    const N = bm.shape[rb - 1]!;
    const A = operand(a, batchStridesOf(a, ra - 2, batch), [ra - 2], ra - 1);
    const B = operand(bm, batchStridesOf(bm, rb - 2, batch), [rb - 1], rb - 2);
    const put = (p: Expr, m: Expr, n: Expr, v: Expr) =>
      ctx.emit(0, [...(batch.length ? E.unflatten(p, batch) : []), m, n], v);
    const p: GemmProblem = swapForLanes(M, N)
      ? { batch, R: N, C: M, K, u: B, v: A, emit: (pp, row, col, v) => put(pp, col, row, v) }
      : { batch, R: M, C: N, K, u: A, v: B, emit: (pp, row, col, v) => put(pp, row, col, v) };
    buildGemm(ctx, p);
  },
};
