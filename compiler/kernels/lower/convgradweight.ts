// The weight gradient of a 2-D convolution, by one of two strategies chosen per adapter
// (target.ts convBackwardStrategy): on a CPU adapter this direct kernel, a few outputs per lane
// and the whole sum over the batch and positions in registers; on a real GPU the implicit GEMM
// of convgradgemm.ts, which splits that long sum over a workgroup's lanes.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { KernelLowering } from '../lowering.js';
import { KernelError } from '../lowering.js';
import { convBackwardStrategy } from '../target.js';
import { blockOf, convGeometry, need, type ConvGeometry } from './conv.js';
import { buildConvGradWeightGemm } from './convgradgemm.js';

const { i32, f32 } = E;

const MIN_WORKGROUPS = 2;
/** Lanes per workgroup at most; a workgroup runs as a few SIMD batches of one CPU thread. */
const MAX_LANES = 64;
/** Accumulators per lane (output channels × kernel columns) at most: more spill registers. */
const MAX_ACCUMULATORS = 48;
/** Output channels per workgroup at most (8 for 1×1 kernels and strides: see gradWeightDirectTiles). */
const MAX_TO = 16;
const MAX_TO_UNWINDOWED = 8;

export interface DirectTiles {
  /** Lanes per workgroup, each owning one (input channel, kernel row). */
  readonly lanes: number;
  /** Workgroups along the (input channel, kernel row) axis. */
  readonly gx: number;
  /** Output channels per workgroup. */
  readonly to: number;
}

/**
 * The direct kernel's tiles for P = (input channels per group) × kernel rows lanes' worth of
 * work, og output channels per group, O in all, kw kernel columns.
 *
 * Lanes: P is split evenly over the fewest workgroups of at most 64 lanes, so no lane idles
 * (a workgroup of 64 for P = 96 left a second one half idle: a 32-channel 3×3 layer ran at 8.7
 * GFLOP/s with 64 lanes and 13.0 with 48, ResNet-20's second stage at batch 64 on two cores,
 * `mdl kernels --time`).
 *
 * Output channels: up to 16 per workgroup while that keeps at most 48 accumulators per lane,
 * since every x value a lane loads is used once per output channel and kernel column (8 → 16
 * channels took a 32-channel 3×3 layer from 13.0 to 14.3 GFLOP/s, a 64-channel one from 11.5 to
 * 13.5; 32 channels, 96 accumulators, spilled and fell to 5–8). A 1×1 kernel loads one x value
 * per position against one dy value per channel, so more channels do not raise its reuse and
 * only cut the workgroups: it keeps 8 (64 channels at 8×8: 6.6 ms with 8, 6.8 with 16, 8.9
 * with 32). Without the register window (a stride above 1: every tap loads its own x) 16
 * channels lost to 8: 1.05–1.37× slower on the 3×3 stride-2 layers of ResNet-20 and the
 * NAS-Bench-201 reduction blocks at batch 64, so `windowed` false keeps 8. Then fewer, until
 * there are two workgroups (below).
 */
export function gradWeightDirectTiles(P: number, og: number, O: number, kw: number, windowed: boolean): DirectTiles {
  const gx = Math.ceil(P / MAX_LANES);
  const lanes = Math.max(8, Math.ceil(P / gx / 8) * 8);
  // A CPU adapter runs a workgroup on one thread, so a grid of one workgroup (LeNet-5's first
  // layer: 6 output channels, 5 lanes) leaves the other cores idle. Fewer output channels per
  // workgroup give two; each output's sum keeps its order, so the result is the same to the bit.
  // Only two: each further split loses register reuse of the x loads, and on two cores
  // (`mdl kernels --time`, LeNet-5 at batch 64) one → two workgroups took 2.9 → 2.3 ms, while
  // three took 3.6 ms and six 4.6 ms.
  const most = windowed ? MAX_TO : MAX_TO_UNWINDOWED;
  let to = blockOf(og, kw === 1 ? 8 : Math.max(1, Math.min(most, Math.floor(MAX_ACCUMULATORS / kw))));
  while (to > 1 && gx * Math.ceil(O / to) < MIN_WORKGROUPS) to = blockOf(og, to - 1);
  return { lanes, gx, to };
}

/**
 * dw[o, c′, i, j] = Σ_{n, oh, ow} dy[n, o, oh, ow]·x[n, g·cg + c′, ih, iw]. A workgroup owns
 * TO output channels (so the dy loads are uniform); each lane owns one (c′, i) and all kw kernel
 * columns, keeping TO×kw sums in registers while it loops over every output position. That is
 * the CPU adapters' strategy; real GPUs get the implicit GEMM of convgradgemm.ts.
 */
export const conv2dGradWeight: KernelLowering = {
  kind: 'kernel',
  buffers: () => [0, 1],
  build(ctx) {
    const dy = need(ctx, 0);
    const x = need(ctx, 1);
    if (convBackwardStrategy(ctx.target) === 'implicit-gemm') return buildConvGradWeightGemm(ctx, dy, x);
    const wShape = ctx.outShapes[0]!;
    const g: ConvGeometry = convGeometry(x.shape, wShape, dy.shape, { ...ctx.attrs });
    const { b, target } = ctx;
    const og = g.O / g.groups;
    const cg = g.C / g.groups;
    const P = cg * g.kh;
    // Stride 1 keeps a window of x columns in registers (below); the tiles depend on it.
    const windowed = g.sw === 1 && g.kw > 1;
    const { lanes, gx, to } = gradWeightDirectTiles(P, og, g.O, g.kw, windowed);
    const gy = Math.ceil(g.O / to);
    const max = target.limits.maxComputeWorkgroupsPerDimension;
    if (gx > max || gy > max)
      throw new KernelError(`${ctx.node.name}: needs more workgroups than the adapter's ${max} per dimension`);
    ctx.grid([gx, gy, 1], [lanes, 1, 1]);
    b.comment(
      `conv2d_grad_weight: ${to} output channels per workgroup (uniform dy), a lane per (c, i) with ${g.kw} columns`,
    );
    const l = b.let(E.add(E.mul(E.builtin('wid', 0), i32(lanes)), E.builtin('lid', 0)), 'l');
    const valid = b.let(E.lt(l, i32(P)), 'ok');
    const lc = b.let(E.min(l, i32(P - 1)), 'lc');
    const ci = b.let(E.div(lc, i32(g.kh)), 'ci');
    const i = b.let(E.mod(lc, i32(g.kh)), 'i');
    const o0 = b.let(E.mul(E.builtin('wid', 1), i32(to)), 'o0');
    const cin = b.let(E.add(E.mul(E.div(o0, i32(og)), i32(cg)), ci), 'cin');
    const DY = ctx.bind(dy, 'f32');
    const X = ctx.bind(x, 'f32');
    const [yN, yC, yH, yW] = dy.strides as [number, number, number, number];
    const [xN, xC, xH, xW] = x.strides as [number, number, number, number];
    const acc = Array.from({ length: to }, (_, o) =>
      Array.from({ length: g.kw }, (_, j) => b.var(f32(0), `acc${o}_${j}`)),
    );
    const dh = b.let(E.sub(E.mul(i, i32(g.dh)), i32(g.ph)), 'dh');
    const xc = b.let(E.add(E.mul(cin, i32(xC)), i32(x.offset)), 'xc');
    const yo = Array.from({ length: to }, (_, o) =>
      b.let(E.add(E.mul(E.min(E.add(o0, i32(o)), i32(g.O - 1)), i32(yC)), i32(dy.offset)), 'yo'),
    );
    b.for(
      i32(0),
      i32(g.N * g.Ho),
      (nh) => {
        const n = b.let(E.div(nh, i32(g.Ho)), 'n');
        const oh = b.let(E.mod(nh, i32(g.Ho)), 'oh');
        const ih = b.let(E.add(E.mul(oh, i32(g.sh)), dh), 'ih');
        const hok = b.let(E.and(E.ge(ih, i32(0)), E.lt(ih, i32(g.H))), 'hok');
        const xr = b.let(
          E.add(E.add(xc, E.mul(n, i32(xN))), E.mul(E.call('clamp', ih, i32(0), i32(g.H - 1)), i32(xH))),
          'xr',
        );
        const yr = b.let(E.add(E.mul(n, i32(yN)), E.mul(oh, i32(yH))), 'yr');
        // The x value at input column `iw` of the lane's row (zero in the padding).
        const xAt = (iw: Expr): Expr =>
          E.sel(
            E.and(hok, E.and(E.ge(iw, i32(0)), E.lt(iw, i32(g.W)))),
            E.load(X, 'f32', E.add(xr, E.mul(E.call('clamp', iw, i32(0), i32(g.W - 1)), i32(xW)))),
            f32(0),
          );
        const accumulate = (ow: Expr, xv: readonly Expr[]): void => {
          const yc = b.let(E.add(yr, E.mul(ow, i32(yW))), 'yc');
          for (let o = 0; o < to; o++) {
            const gv = b.let(E.load(DY, 'f32', E.add(yo[o]!, yc)), 'dy');
            for (let j = 0; j < g.kw; j++) b.set(acc[o]![j]!, E.mul(gv, xv[j]!), '+');
          }
        };
        // Stride 1: output column ow reads input columns ow − pw + m, m < L, which are those of
        // ow − 1 shifted by one. The lane keeps them in a window of registers and loads one new
        // x per column instead of kw (gathers, on a CPU adapter, where lanes read different
        // rows); the products and their order are those of loading all kw, so are the sums.
        const L = (g.kw - 1) * g.dw + 1;
        const win = windowed ? Array.from({ length: L - 1 }, (_, m) => b.var(xAt(i32(m - g.pw)), 'xw')) : undefined;
        b.for(
          i32(0),
          i32(g.Wo),
          (ow) => {
            if (!win) {
              const iw0 = b.let(E.sub(E.mul(ow, i32(g.sw)), i32(g.pw)), 'iw0');
              accumulate(
                ow,
                Array.from({ length: g.kw }, (_, j) => b.let(xAt(E.add(iw0, i32(j * g.dw))), 'x')),
              );
              return;
            }
            const next = b.let(xAt(E.add(ow, i32(L - 1 - g.pw))), 'x');
            const cur = [...win.map((v) => E.ref(v, 'f32')), next];
            accumulate(
              ow,
              Array.from({ length: g.kw }, (_, j) => cur[j * g.dw]!),
            );
            // In order: each register takes its successor's value before that one moves on.
            for (let m = 0; m < L - 1; m++) b.set(win[m]!, cur[m + 1]!);
          },
          1,
          'ow',
        );
      },
      1,
      'nh',
    );
    b.if(valid, () => {
      for (let o = 0; o < to; o++) {
        const oc = b.let(E.add(o0, i32(o)), 'oc');
        b.if(g.O % to === 0 ? E.bool(true) : E.lt(oc, i32(g.O)), () => {
          for (let j = 0; j < g.kw; j++) ctx.emit(0, [oc, ci, i, i32(j)], E.ref(acc[o]![j]!, 'f32'));
        });
      }
    });
  },
};
