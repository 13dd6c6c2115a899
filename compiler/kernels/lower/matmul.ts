// linear, matmul and linear's weight gradient as GEMM problems (gemm.ts): which operand is
// uniform and which is on the lanes, and how each output element maps back to the op's output
// index. The weight gradient reduces over the flattened leading dims of dy and x; when those do
// not collapse to one stride (a transposed operand) it asks the planner for a contiguous copy.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx, KernelLowering, View } from '../lowering.js';
import { batchStridesOf, buildGemm, operand, swapForLanes, type GemmProblem, type Operand } from './gemm.js';

const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

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

/**
 * The flattened leading dims of a view as one stride, if they collapse (contiguous among
 * themselves); undefined otherwise (a transposed operand), for the planner to copy.
 */
function leadStride(v: View): number | undefined {
  const r = v.shape.length;
  let stride: number | undefined;
  let expect: number | undefined;
  for (let d = r - 2; d >= 0; d--) {
    if (v.shape[d] === 1) continue;
    if (expect !== undefined && v.strides[d] !== expect) return undefined;
    stride ??= v.strides[d]!;
    expect = v.strides[d]! * v.shape[d]!;
  }
  return stride ?? 0;
}

/** dW[n, k] = Σ_m dy[m, n]·x[m, k]: the GEMM over the flattened leading dims. */
export const linearGradWeight: KernelLowering = {
  kind: 'kernel',
  buffers: () => 'all',
  build(ctx) {
    const dy = viewOf(ctx, 0);
    const x = viewOf(ctx, 1);
    // One input at a time, dy first: copying one may change how the other is laid out.
    const dyK = leadStride(dy);
    if (dyK === undefined) {
      ctx.needsContiguous(0);
      return;
    }
    const xK = leadStride(x);
    if (xK === undefined) {
      ctx.needsContiguous(1);
      return;
    }
    const [N, K] = ctx.outShapes[0]! as [number, number];
    const M = prod(dy.shape.slice(0, -1));
    const gOp: Operand = {
      view: dy,
      batchStrides: [],
      rows: [N],
      rowStrides: [dy.strides[dy.shape.length - 1]!],
      kStride: dyK,
    };
    const xOp: Operand = {
      view: x,
      batchStrides: [],
      rows: [K],
      rowStrides: [x.strides[x.shape.length - 1]!],
      kStride: xK,
    };
    const p: GemmProblem = swapForLanes(N, K)
      ? { batch: [], R: K, C: N, K: M, u: xOp, v: gOp, emit: (_p, r, c, v) => ctx.emit(0, [c, r], v) }
      : { batch: [], R: N, C: K, K: M, u: gOp, v: xOp, emit: (_p, r, c, v) => ctx.emit(0, [r, c], v) };
    buildGemm(ctx, p);
  },
};
