// The weight gradient of a 2-D convolution, by one of two strategies chosen per adapter
// (target.ts convBackwardStrategy): on a CPU adapter this direct kernel, a few outputs per lane
// and the whole sum over the batch and positions in registers; on a real GPU the implicit GEMM
// of convgradgemm.ts, which splits that long sum over a workgroup's lanes.
import * as E from '../expr.js';
import type { KernelLowering } from '../lowering.js';
import { KernelError } from '../lowering.js';
import { convBackwardStrategy } from '../target.js';
import { blockOf, convGeometry, need, type ConvGeometry } from './conv.js';
import { buildConvGradWeightGemm } from './convgradgemm.js';

const { i32, f32 } = E;

const MIN_WORKGROUPS = 2;

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
    const lanes = Math.max(8, Math.min(64, Math.ceil(P / 8) * 8));
    const gx = Math.ceil(P / lanes);
    // A CPU adapter runs a workgroup on one thread, so a grid of one workgroup (LeNet-5's first
    // layer: 6 output channels, 5 lanes) leaves the other cores idle. Fewer output channels per
    // workgroup give two; each output's sum keeps its order, so the result is the same to the bit.
    // Only two: each further split loses register reuse of the x loads, and on two cores
    // (`mdl kernels --time`, LeNet-5 at batch 64) one → two workgroups took 2.9 → 2.3 ms, while
    // three took 3.6 ms and six 4.6 ms.
    let to = blockOf(og);
    while (to > 1 && gx * Math.ceil(g.O / to) < MIN_WORKGROUPS) to = blockOf(og, to - 1);
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
        b.for(
          i32(0),
          i32(g.Wo),
          (ow) => {
            const iw0 = b.let(E.sub(E.mul(ow, i32(g.sw)), i32(g.pw)), 'iw0');
            const xv = Array.from({ length: g.kw }, (_, j) => {
              const iw = E.add(iw0, i32(j * g.dw));
              const ok = E.and(hok, E.and(E.ge(iw, i32(0)), E.lt(iw, i32(g.W))));
              return b.let(
                E.sel(
                  ok,
                  E.load(X, 'f32', E.add(xr, E.mul(E.call('clamp', iw, i32(0), i32(g.W - 1)), i32(xW)))),
                  f32(0),
                ),
                'x',
              );
            });
            const yc = b.let(E.add(yr, E.mul(ow, i32(yW))), 'yc');
            for (let o = 0; o < to; o++) {
              const gv = b.let(E.load(DY, 'f32', E.add(yo[o]!, yc)), 'dy');
              for (let j = 0; j < g.kw; j++) b.set(acc[o]![j]!, E.mul(gv, xv[j]!), '+');
            }
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
