// How a kernel spreads its work over lanes, shared by every kernel family: a lane per output
// element when there are many outputs (`perElement`), or a workgroup per output with the sum
// split over its lanes and combined in workgroup memory in a fixed order, so deterministic
// (`workgroupSum`), when there are few outputs and long reductions.
import type { KernelBuilder } from '../builder.js';
import * as E from '../expr.js';
import { forEachElement, grid1d } from '../grid.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx } from '../lowering.js';

const { i32, f32 } = E;
/** The start of a max: the lowest finite float (WGSL has no infinite constants). */
export const NEG_INF = f32(-3.4028234663852886e38);

/** A lane per output element (four on a CPU adapter: grid.ts forEachElement): `body(id)` under the guard id < total. */
export function perElement(ctx: AnchorCtx, total: number, body: (id: Expr) => void): void {
  const g = forEachElement(ctx.b, total, ctx.target, ctx.node.name, body);
  ctx.grid(g.workgroups, g.size);
}

/** Consecutive outputs of one row a lane computes in `perRowRun` on a CPU adapter. */
export const ROW_RUN = 4;

/**
 * A lane per ROW_RUN consecutive elements along the last axis of one row of the NCHW tensor
 * `shape`: `body([n, c, h, w0], inside)`, where `inside(k)` says whether w0 + k is in the row
 * (true where ROW_RUN divides the width). For windowed kernels on a CPU adapter: a lane's outputs
 * share most of their window's columns, and each column is loaded once for all of them instead
 * of once per output (a 3×3 stride-1 window: 18 loads for 4 outputs instead of 36). On
 * llvmpipe each of those loads is a gather, what such kernels spend their time on.
 */
export function perRowRun(
  ctx: AnchorCtx,
  shape: readonly [number, number, number, number],
  body: (ix: [Expr, Expr, Expr, Expr], inside: (k: number) => Expr) => void,
): void {
  const [N, C, H, W] = shape;
  const runs = Math.ceil(W / ROW_RUN);
  const total = N * C * H * runs;
  const g = grid1d(ctx.b, total, 64, ctx.target, ctx.node.name);
  ctx.grid(g.workgroups, g.size);
  const b = ctx.b;
  const id = b.let(g.id, 'id');
  b.if(E.lt(id, i32(total)), () => {
    const [n, c, h, r] = E.unflatten(id, [N, C, H, runs]).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
    const w0 = b.let(E.mul(r, i32(ROW_RUN)), 'w0');
    const inside = (k: number): Expr => (W % ROW_RUN === 0 ? E.bool(true) : E.lt(E.add(w0, i32(k)), i32(W)));
    body([n, c, h, w0], inside);
  });
}

export const WG = 64;

/**
 * Σ_{r < R} term(r) over the lanes of one workgroup, combined in workgroup memory; every lane
 * gets the total. Must be reached in uniform control flow (it has barriers).
 */
export function workgroupSum(b: KernelBuilder, sh: string, lanes: number, R: number, term: (r: Expr) => Expr): Expr {
  return workgroupSums(b, sh, lanes, R, (r) => [term(r)], 1)[0]!;
}

/**
 * Several sums over the same range in one loop (`terms(r)` gives one term each, `count` of
 * them), so what they read is read once. Each sum is combined exactly as `workgroupSum`
 * combines its one, in turn through the same workgroup array: the totals are bit for bit those
 * of separate sums.
 */
export function workgroupSums(
  b: KernelBuilder,
  sh: string,
  lanes: number,
  R: number,
  terms: (r: Expr) => readonly Expr[],
  count: number,
): Expr[] {
  const lane = b.let(E.builtin('lid', 0), 'lane');
  const acc = Array.from({ length: count }, () => b.var(f32(0), 'part'));
  b.for(
    i32(0),
    i32(R),
    (r0) => {
      const r = b.let(E.add(r0, lane), 'r');
      b.if(E.lt(r, i32(R)), () => {
        const ts = terms(r);
        if (ts.length !== count) throw new Error(`workgroupSums: ${ts.length} terms for ${count} sums`);
        ts.forEach((t, k) => b.set(acc[k]!, t, '+'));
      });
    },
    lanes,
    'r0',
  );
  return acc.map((a) => {
    b.setElem(sh, lane, E.ref(a, 'f32'));
    b.barrier();
    const tot = b.var(f32(0), 'tot');
    b.for(i32(0), i32(lanes), (i) => b.set(tot, E.elem(sh, 'f32', i), '+'), 1, 'j');
    b.barrier();
    return E.ref(tot, 'f32');
  });
}
