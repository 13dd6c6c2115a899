// Lowerings of the internal ops autodiff and the optimizers emit: derivatives of activations,
// loss gradients, the weight and input gradients of linear and conv layers, pooling and
// normalisation backward passes, reduction adjoints, and the optimizer updates. They reuse the
// forward machinery: linear_grad_weight is the GEMM with other strides, the conv gradients are
// direct kernels with the same uniform-weight / lanes-on-space layout, the norms are
// per-channel or per-row reductions, and the rest are pointwise (fused like any other).
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { Accessor, AnchorCtx, KernelLowering, PointwiseLowering, View } from '../lowering.js';
import { KernelError } from '../lowering.js';
import { buildGemm, swapForLanes, type Operand, type GemmProblem } from './gemm.js';
import { convGeometry, type ConvGeometry } from './conv.js';
import { buildConvGradWeightGemm } from './convgrad.js';
import { convBackwardStrategy } from '../target.js';
import { applyRule, dropoutExpr } from './pointwise.js';
import { pointwiseFn } from '../../ops/pointwise/index.js';
import { NEG_INF, WG, perElement, poolGeom, reduceAxes, rowStats, workgroupSum } from './reduce.js';
import { groups1d } from '../grid.js';
import { normAxis } from '../../ir/shape.js';
import { asPair } from '../../ops/helpers.js';
import { sliceStart } from '../../ops/slice.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
/** g·f′(x) or g·f″(x) for the pointwise function the node names (compiler/ops/pointwise/). */
function derivative(order: 'df' | 'd2f'): PointwiseLowering {
  return {
    kind: 'pointwise',
    elementwise: true,
    at: (c, idx) => {
      const fn = pointwiseFn(c.attrs['fn'] as string);
      if (!fn) throw new KernelError(`${c.node.name}: no pointwise function ${String(c.attrs['fn'])}`);
      // g is read before x is bound: the order the kernel's statements come out in.
      const g = c.inputs[0]!.at(idx);
      return E.mul(
        g,
        applyRule(c, fn[order], c.b.let(c.inputs[1]!.at(idx), 'x'), c.attrs['params'] as readonly number[]),
      );
    },
  };
}

export const actGrad = derivative('df');
export const actGrad2 = derivative('d2f');

/** g·(softmax − q)/N row by row: q is the smoothed one-hot target. */
export const crossEntropyGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, x, t] = ctx.inputs as [Accessor, Accessor, Accessor];
    const [N, C] = x.shape as [number, number];
    const eps = ctx.attrs['label_smoothing'] as number;
    const { b } = ctx;
    const scale = b.let(E.div(g.at([]), f32(N)), 'gs');
    perElement(ctx, N, (n) => {
      const m = b.var(NEG_INF, 'mx');
      b.for(i32(0), i32(C), (k) => b.set(m, E.max(E.ref(m, 'f32'), x.at([n, k]))), 1, 'k');
      const s = b.var(f32(0), 'se');
      b.for(i32(0), i32(C), (k) => b.set(s, E.exp(E.sub(x.at([n, k]), E.ref(m, 'f32'))), '+'), 1, 'k');
      const lse = b.let(E.add(E.ref(m, 'f32'), E.log(E.ref(s, 'f32'))), 'lse');
      const tc = b.let(E.cast('i32', t.at([n])), 'tc');
      b.for(
        i32(0),
        i32(C),
        (k) => {
          const q = E.add(E.sel(E.eq(k, tc), f32(1 - eps), f32(0)), f32(eps / C));
          ctx.emit(0, [n, k], E.mul(scale, E.sub(E.exp(E.sub(x.at([n, k]), lse)), q)));
        },
        1,
        'k',
      );
    });
  },
};

export const mseGrad: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const n = prod(c.outShapes[0]!);
    return E.mul(E.mul(c.inputs[0]!.at([]), f32(2 / n)), E.sub(c.inputs[1]!.at(idx), c.inputs[2]!.at(idx)));
  },
};

export const dropoutMask: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const flat = E.linear(idx, E.contiguousStrides(c.outShapes[0]!));
    return dropoutExpr(
      { ...c, training: true },
      c.inputs[0]!.at(idx),
      flat,
      c.attrs['p'] as number,
      c.attrs['key'] as string,
    );
  },
};

/** The adjoint of sum/mean over axes: g broadcast back to the input's shape (÷ count for a mean). */
export const reduceGrad: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const out = c.outShapes[0]!;
    const axes = (c.attrs['axes'] as readonly number[]).map((a) => normAxis(a, out.length)!);
    const g = c.inputs[0]!;
    const gi =
      g.shape.length === out.length
        ? idx.map((e, i) => (axes.includes(i) ? i32(0) : e))
        : idx.filter((_, i) => !axes.includes(i));
    const v = g.at(gi);
    return c.attrs['mean'] ? E.mul(v, f32(1 / axes.reduce((p, a) => p * out[a]!, 1))) : v;
  },
};

/** x summed down to a shape it broadcasts to (undoing broadcasting). */
export const sumTo: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    const out = ctx.outShapes[0]!;
    const lead = x.shape.length - out.length;
    const axes = x.shape.map((_, i) => i).filter((i) => i < lead || (out[i - lead] === 1 && x.shape[i] !== 1));
    if (axes.length === 0) {
      perElement(ctx, prod(out), (id) => {
        const idx = E.unflatten(id, out);
        ctx.emit(0, idx, x.at(idx.slice(-x.shape.length)));
      });
      return;
    }
    reduceAxes(ctx, x, axes, 1);
  },
};

/** The adjoint of a slice: g scattered into zeros, as a gather from the output's side. */
export const sliceGrad: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const out = c.outShapes[0]!;
    const g = c.inputs[0]!;
    const ax = normAxis(c.attrs['axis'] as number, out.length)!;
    const s = sliceStart(out[ax]!, c.attrs['start'] as number);
    const step = c.attrs['step'] as number;
    const len = g.shape[ax]!;
    const d = c.b.let(E.sub(idx[ax]!, i32(s)), 'd');
    let ok = E.and(E.ge(d, i32(0)), E.lt(d, i32(len * step)));
    if (step > 1) ok = E.and(ok, E.eq(E.mod(E.max(d, i32(0)), i32(step)), i32(0)));
    const okv = c.b.let(ok, 'in');
    const gi = idx.map((e, i) => (i === ax ? E.sel(okv, E.div(E.max(d, i32(0)), i32(step)), i32(0)) : e));
    return E.sel(okv, g.at(gi), f32(0));
  },
};

function need(ctx: AnchorCtx, i: number): View {
  const v = ctx.inputs[i]!.view;
  if (!v) throw new Error(`${ctx.node.name}: input ${i} is not a buffer`);
  return v;
}

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
    const dy = need(ctx, 0);
    const x = need(ctx, 1);
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

/** Channels per workgroup: the largest divisor of `per` that is at most 8. */
function blockOf(per: number, cap = 8): number {
  for (let d = Math.min(cap, per); d >= 1; d--) if (per % d === 0) return d;
  return 1;
}

/**
 * dx[n, c, ih, iw] = Σ_{o in c's group, i, j} dy[n, o, oh, ow]·w[o, c − g·cg, i, j] where
 * ih = oh·sh − ph + i·dh (and likewise for w). Lanes over input positions (TW columns each),
 * TC input channels per workgroup so the weights are uniform.
 */
export const conv2dGradInput: KernelLowering = {
  kind: 'kernel',
  buffers: () => [0, 1],
  build(ctx) {
    const dy = need(ctx, 0);
    const w = need(ctx, 1);
    const out = ctx.outShapes[0]!;
    const g: ConvGeometry = convGeometry(out, w.shape, dy.shape, { ...ctx.attrs });
    const { b, target } = ctx;
    const og = g.O / g.groups;
    const cg = g.C / g.groups;
    const tc = blockOf(cg);
    const tw = Math.min(4, g.W);
    const nwb = Math.ceil(g.W / tw);
    const S = g.H * nwb;
    const lanes = Math.max(8, Math.min(64, Math.ceil(S / 8) * 8));
    const gx = Math.ceil(S / lanes);
    const gy = Math.ceil(g.C / tc);
    const max = target.limits.maxComputeWorkgroupsPerDimension;
    if (gx > max || gy > max || g.N > max)
      throw new KernelError(`${ctx.node.name}: needs more workgroups than the adapter's ${max} per dimension`);
    ctx.grid([gx, gy, g.N], [lanes, 1, 1]);
    b.comment(`conv2d_grad_input: ${tc} input channels per workgroup (uniform weights), ${tw} columns per lane`);
    const s = b.let(E.add(E.mul(E.builtin('wid', 0), i32(lanes)), E.builtin('lid', 0)), 's');
    const valid = b.let(E.lt(s, i32(S)), 'ok');
    const sc = b.let(E.min(s, i32(S - 1)), 'sc');
    const ih = b.let(E.div(sc, i32(nwb)), 'ih');
    const iw0 = b.let(E.mul(E.mod(sc, i32(nwb)), i32(tw)), 'iw0');
    const c0 = b.let(E.mul(E.builtin('wid', 1), i32(tc)), 'c0');
    const n = b.let(E.builtin('wid', 2), 'n');
    const o0 = b.let(E.mul(E.div(c0, i32(cg)), i32(og)), 'o0');
    const ci0 = b.let(E.mod(c0, i32(cg)), 'ci0');
    const DY = ctx.bind(dy, 'f32');
    const Wt = ctx.bind(w, 'f32');
    const [yN, yC, yH, yW] = dy.strides as [number, number, number, number];
    const [wO, wC, wH, wW] = w.strides as [number, number, number, number];
    const acc = Array.from({ length: tc }, (_, c) =>
      Array.from({ length: tw }, (_, q) => b.var(f32(0), `acc${c}_${q}`)),
    );
    // Which output position reads input position t = ih + p − k·d through kernel offset k, if any.
    const outPos = (t: Expr, stride: number, size: number): { ok: Expr; pos: Expr } => {
      const tc0 = E.max(t, i32(0));
      const ok =
        stride === 1
          ? E.and(E.ge(t, i32(0)), E.lt(t, i32(size)))
          : E.and(
              E.and(E.ge(t, i32(0)), E.eq(E.mod(tc0, i32(stride)), i32(0))),
              E.lt(E.div(tc0, i32(stride)), i32(size)),
            );
      return { ok, pos: E.div(tc0, i32(stride)) };
    };
    // For stride 1, the dy values a lane's TW columns need for all kernel columns form one
    // segment of the dy row, loaded once per (output channel, kernel row).
    const seg = tw + (g.kw - 1) * g.dw;
    const colsSeg =
      g.sw === 1
        ? Array.from({ length: seg }, (_, m) => {
            const t = E.add(iw0, i32(g.pw - (g.kw - 1) * g.dw + m));
            const okv = b.let(E.and(E.ge(t, i32(0)), E.lt(t, i32(g.Wo))), 'cok');
            return { ok: okv, off: b.let(E.mul(E.call('clamp', t, i32(0), i32(g.Wo - 1)), i32(yW)), 'cof') };
          })
        : [];
    const colsStrided =
      g.sw === 1
        ? []
        : Array.from({ length: g.kw }, (_, j) =>
            Array.from({ length: tw }, (_, q) => {
              const { ok, pos } = outPos(E.sub(E.add(E.add(iw0, i32(q)), i32(g.pw)), i32(j * g.dw)), g.sw, g.Wo);
              const okv = b.let(ok, 'cok');
              return { ok: okv, off: b.let(E.mul(E.sel(okv, pos, i32(0)), i32(yW)), 'cof') };
            }),
          );
    const yn = b.let(E.add(E.mul(n, i32(yN)), i32(dy.offset)), 'yn');
    const wci = b.let(E.add(E.mul(ci0, i32(wC)), i32(w.offset)), 'wci');
    // One runtime loop over (output channel of the group, kernel row); the rest is unrolled.
    b.for(
      i32(0),
      i32(og * g.kh),
      (r) => {
        const oi = g.kh === 1 ? r : b.let(E.div(r, i32(g.kh)), 'oi');
        const i = g.kh === 1 ? i32(0) : b.let(E.mod(r, i32(g.kh)), 'i');
        const o = b.let(E.add(o0, oi), 'o');
        const row = outPos(E.sub(E.add(ih, i32(g.ph)), E.mul(i, i32(g.dh))), g.sh, g.Ho);
        const rok = b.let(row.ok, 'rok');
        const yr = b.let(E.add(E.add(yn, E.mul(o, i32(yC))), E.mul(E.sel(rok, row.pos, i32(0)), i32(yH))), 'yr');
        const wr = b.let(E.add(E.add(wci, E.mul(o, i32(wO))), E.mul(i, i32(wH))), 'wr');
        const segv = colsSeg.map((cq) =>
          b.let(E.sel(E.and(rok, cq.ok), E.load(DY, 'f32', E.add(yr, cq.off)), f32(0)), 'g'),
        );
        for (let j = 0; j < g.kw; j++) {
          const gv =
            g.sw === 1
              ? Array.from({ length: tw }, (_, q) => segv[q + (g.kw - 1 - j) * g.dw]!)
              : colsStrided[j]!.map((cq) =>
                  b.let(E.sel(E.and(rok, cq.ok), E.load(DY, 'f32', E.add(yr, cq.off)), f32(0)), 'g'),
                );
          for (let c = 0; c < tc; c++) {
            const wv = b.let(E.load(Wt, 'f32', E.add(wr, i32(c * wC + j * wW))), 'w');
            for (let q = 0; q < tw; q++) b.set(acc[c]![q]!, E.mul(wv, gv[q]!), '+');
          }
        }
      },
      1,
      'r',
    );
    b.if(valid, () => {
      for (let c = 0; c < tc; c++) {
        const ch = b.let(E.add(c0, i32(c)), 'ch');
        for (let q = 0; q < tw; q++) {
          const iw = b.let(E.add(iw0, i32(q)), 'iw');
          b.if(g.W % tw === 0 ? E.bool(true) : E.lt(iw, i32(g.W)), () =>
            ctx.emit(0, [n, ch, ih, iw], E.ref(acc[c]![q]!, 'f32')),
          );
        }
      }
    });
  },
};

/**
 * dw[o, c′, i, j] = Σ_{n, oh, ow} dy[n, o, oh, ow]·x[n, g·cg + c′, ih, iw]. A workgroup owns
 * TO output channels (so the dy loads are uniform); each lane owns one (c′, i) and all kw kernel
 * columns, keeping TO×kw sums in registers while it loops over every output position. That is
 * the CPU adapters' strategy; real GPUs get the implicit GEMM of convgrad.ts.
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
    const to = blockOf(og);
    const P = cg * g.kh;
    const lanes = Math.max(8, Math.min(64, Math.ceil(P / 8) * 8));
    const gx = Math.ceil(P / lanes);
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

interface Window {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** The first maximum of a max-pooling window (its kernel offsets i·kw + j), as PyTorch picks it. */
function windowArgmax(ctx: AnchorCtx, x: Accessor, n: Expr, c: Expr, oh: Expr, ow: Expr, w: Window): Expr {
  const { b } = ctx;
  const [, , H, W] = x.shape as [number, number, number, number];
  const best = b.var(NEG_INF, 'best');
  const at = b.var(i32(-1), 'at');
  for (let i = 0; i < w.kh; i++) {
    const ih = b.let(E.add(E.sub(E.mul(oh, i32(w.sh)), i32(w.ph)), i32(i * w.dh)), 'ih');
    const hok = b.let(E.and(E.ge(ih, i32(0)), E.lt(ih, i32(H))), 'hok');
    for (let j = 0; j < w.kw; j++) {
      const iw = b.let(E.add(E.sub(E.mul(ow, i32(w.sw)), i32(w.pw)), i32(j * w.dw)), 'iw');
      const ok = b.let(E.and(hok, E.and(E.ge(iw, i32(0)), E.lt(iw, i32(W)))), 'ok');
      const v = b.let(
        x.at([n, c, E.call('clamp', ih, i32(0), i32(H - 1)), E.call('clamp', iw, i32(0), i32(W - 1))]),
        'v',
      );
      const take = b.let(E.and(ok, E.or(E.lt(E.ref(at, 'i32'), i32(0)), E.gt(v, E.ref(best, 'f32')))), 'tk');
      b.set(best, E.sel(take, v, E.ref(best, 'f32')));
      b.set(at, E.sel(take, i32(i * w.kw + j), E.ref(at, 'i32')));
    }
  }
  return E.ref(at, 'i32');
}

function maxpoolWindow(a: Readonly<Record<string, unknown>>): Window {
  return poolGeom(a);
}

/**
 * The adjoint of max pooling. Windows that tile the input (stride = kernel, no padding or
 * dilation: LeNet's and most CNNs' pooling): a lane per tile finds its window's maximum once
 * and writes g there and 0 on the rest of the tile. Otherwise a gather: each input element
 * sums g over the windows whose maximum it is.
 */
export const maxpool2dGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [gy, x] = ctx.inputs as [Accessor, Accessor];
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [, , Ho, Wo] = gy.shape as [number, number, number, number];
    const w = maxpoolWindow(ctx.attrs);
    const { b } = ctx;
    if (w.kh === w.sh && w.kw === w.sw && w.ph === 0 && w.pw === 0 && w.dh === 1 && w.dw === 1) {
      const Th = Math.ceil(H / w.sh);
      const Tw = Math.ceil(W / w.sw);
      perElement(ctx, N * C * Th * Tw, (id) => {
        const [n, c, th, tw] = E.unflatten(id, [N, C, Th, Tw]).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
        const inWin = Th === Ho && Tw === Wo ? E.bool(true) : b.let(E.and(E.lt(th, i32(Ho)), E.lt(tw, i32(Wo))), 'win');
        const arg = b.let(
          E.sel(inWin, windowArgmax(ctx, x, n, c, E.min(th, i32(Ho - 1)), E.min(tw, i32(Wo - 1)), w), i32(-1)),
          'arg',
        );
        const gv = b.let(E.sel(inWin, gy.at([n, c, E.min(th, i32(Ho - 1)), E.min(tw, i32(Wo - 1))]), f32(0)), 'gv');
        for (let i = 0; i < w.sh; i++)
          for (let j = 0; j < w.sw; j++) {
            const ih = b.let(E.add(E.mul(th, i32(w.sh)), i32(i)), 'ih');
            const iw = b.let(E.add(E.mul(tw, i32(w.sw)), i32(j)), 'iw');
            const inside = (H % w.sh === 0 ? E.bool(true) : E.lt(ih, i32(H))) as Expr;
            b.if(E.and(inside, W % w.sw === 0 ? E.bool(true) : E.lt(iw, i32(W))), () =>
              ctx.emit(0, [n, c, ih, iw], E.sel(E.eq(arg, i32(i * w.kw + j)), gv, f32(0))),
            );
          }
      });
      return;
    }
    perElement(ctx, N * C * H * W, (id) => {
      const [n, c, ih, iw] = E.unflatten(id, [N, C, H, W]).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
      const acc = b.var(f32(0), 'acc');
      for (let i = 0; i < w.kh; i++) {
        const th = b.let(E.sub(E.add(ih, i32(w.ph)), i32(i * w.dh)), 'th');
        const oh = b.let(E.div(E.max(th, i32(0)), i32(w.sh)), 'oh');
        const hok = E.and(
          E.and(E.ge(th, i32(0)), E.eq(E.mod(E.max(th, i32(0)), i32(w.sh)), i32(0))),
          E.lt(oh, i32(Ho)),
        );
        b.if(hok, () => {
          for (let j = 0; j < w.kw; j++) {
            const tw = b.let(E.sub(E.add(iw, i32(w.pw)), i32(j * w.dw)), 'tw');
            const ow = b.let(E.div(E.max(tw, i32(0)), i32(w.sw)), 'ow');
            const wok = E.and(
              E.and(E.ge(tw, i32(0)), E.eq(E.mod(E.max(tw, i32(0)), i32(w.sw)), i32(0))),
              E.lt(ow, i32(Wo)),
            );
            b.if(wok, () => {
              const arg = windowArgmax(ctx, x, n, c, oh, ow, w);
              b.if(E.eq(arg, i32(i * w.kw + j)), () => b.set(acc, gy.at([n, c, oh, ow]), '+'));
            });
          }
        });
      }
      ctx.emit(0, [n, c, ih, iw], E.ref(acc, 'f32'));
    });
  },
};

/** v read at each max-pooling window's maximum of x (the JVP of max pooling). */
export const maxpool2dSelect: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [v, x] = ctx.inputs as [Accessor, Accessor];
    const out = ctx.outShapes[0]!;
    const [, , H, W] = x.shape as [number, number, number, number];
    const w = maxpoolWindow(ctx.attrs);
    const { b } = ctx;
    perElement(ctx, prod(out), (id) => {
      const [n, c, oh, ow] = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
      const arg = b.let(windowArgmax(ctx, x, n, c, oh, ow, w), 'arg');
      const i = E.div(arg, i32(w.kw));
      const j = E.mod(arg, i32(w.kw));
      const ih = E.call(
        'clamp',
        E.add(E.sub(E.mul(oh, i32(w.sh)), i32(w.ph)), E.mul(i, i32(w.dh))),
        i32(0),
        i32(H - 1),
      );
      const iw = E.call(
        'clamp',
        E.add(E.sub(E.mul(ow, i32(w.sw)), i32(w.pw)), E.mul(j, i32(w.dw))),
        i32(0),
        i32(W - 1),
      );
      ctx.emit(0, [n, c, oh, ow], v.at([n, c, ih, iw]));
    });
  },
};

/** The adjoint of average pooling: each input element gathers g/divisor from the windows holding it. */
export const avgpool2dGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const gy = ctx.inputs[0]!;
    const out = ctx.outShapes[0]!;
    const [N, C, H, W] = out as [number, number, number, number];
    const [, , Ho, Wo] = gy.shape as [number, number, number, number];
    const [kh, kw] = asPair(ctx.attrs['kernel'] as number[]);
    const st = ctx.attrs['stride'];
    const [sh, sw] = st === null || st === undefined ? [kh, kw] : asPair(st as number[]);
    const [ph, pw] = asPair(ctx.attrs['padding'] as number[]);
    const cip = ctx.attrs['count_include_pad'] as boolean;
    const { b } = ctx;
    perElement(ctx, N * C * H * W, (id) => {
      const [n, c, ih, iw] = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
      const acc = b.var(f32(0), 'acc');
      for (let i = 0; i < kh; i++) {
        const th = b.let(E.sub(E.add(ih, i32(ph)), i32(i)), 'th');
        const oh = b.let(E.div(E.max(th, i32(0)), i32(sh)), 'oh');
        b.if(E.and(E.and(E.ge(th, i32(0)), E.eq(E.mod(E.max(th, i32(0)), i32(sh)), i32(0))), E.lt(oh, i32(Ho))), () => {
          const hs = b.let(E.sub(E.mul(oh, i32(sh)), i32(ph)), 'hs');
          const he = b.let(E.min(E.add(hs, i32(kh)), i32(H + ph)), 'he');
          for (let j = 0; j < kw; j++) {
            const tw = b.let(E.sub(E.add(iw, i32(pw)), i32(j)), 'tw');
            const ow = b.let(E.div(E.max(tw, i32(0)), i32(sw)), 'ow');
            b.if(
              E.and(E.and(E.ge(tw, i32(0)), E.eq(E.mod(E.max(tw, i32(0)), i32(sw)), i32(0))), E.lt(ow, i32(Wo))),
              () => {
                const ws = b.let(E.sub(E.mul(ow, i32(sw)), i32(pw)), 'ws');
                const we = b.let(E.min(E.add(ws, i32(kw)), i32(W + pw)), 'we');
                const div = cip
                  ? E.mul(E.sub(he, hs), E.sub(we, ws))
                  : E.mul(E.sub(E.min(he, i32(H)), E.max(hs, i32(0))), E.sub(E.min(we, i32(W)), E.max(ws, i32(0))));
                b.set(acc, E.div(gy.at([n, c, oh, ow]), E.cast('f32', div)), '+');
              },
            );
          }
        });
      }
      ctx.emit(0, [n, c, ih, iw], E.ref(acc, 'f32'));
    });
  },
};

/** Per-channel batch statistics (mean, 1/σ) of x [N, C, H, W] in a workgroup per channel. */
function channelStats(
  ctx: AnchorCtx,
  x: Accessor,
  c: Expr,
  sh: string,
  eps: number,
): { mean: Expr; inv: Expr; at: (e: Expr) => Expr[]; count: number } {
  const { b } = ctx;
  const [N, , H, W] = x.shape as [number, number, number, number];
  const hw = H * W;
  const count = N * hw;
  const at = (e: Expr): Expr[] => [
    E.div(e, i32(hw)),
    c,
    E.div(E.mod(e, i32(hw)), i32(W)),
    E.mod(E.mod(e, i32(hw)), i32(W)),
  ];
  const mean = b.let(
    E.div(
      workgroupSum(b, sh, WG, count, (e) => x.at(at(e))),
      f32(count),
    ),
    'mean',
  );
  const q = workgroupSum(b, sh, WG, count, (e) => {
    const d = b.let(E.sub(x.at(at(e)), mean), 'd');
    return E.mul(d, d);
  });
  const inv = b.let(E.div(f32(1), E.sqrt(E.add(E.div(q, f32(count)), f32(eps)))), 'inv');
  return { mean, inv, at, count };
}

/** A workgroup per channel; `body` runs for every element of the channel (after the statistics). */
function perChannel(
  ctx: AnchorCtx,
  C: number,
  body: (c: Expr, sh: string, each: (count: number, f: (e: Expr) => void) => void) => void,
): void {
  const { b } = ctx;
  const g = groups1d(b, C, WG, ctx.target, ctx.node.name);
  ctx.grid(g.workgroups, g.size);
  const sh = b.shared('f32', WG, 'part');
  const c = b.let(E.min(g.group, i32(C - 1)), 'c');
  const lane = b.let(E.builtin('lid', 0), 'lane');
  const live = b.let(E.lt(g.group, i32(C)), 'live');
  body(c, sh, (count, f) =>
    b.if(live, () =>
      b.for(
        i32(0),
        i32(count),
        (e0) => {
          const e = b.let(E.add(e0, lane), 'e');
          b.if(E.lt(e, i32(count)), () => f(e));
        },
        WG,
        'e0',
      ),
    ),
  );
}

const bnNormalizeTraining: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    perChannel(ctx, x.shape[1]!, (c, sh, each) => {
      const st = channelStats(ctx, x, c, sh, ctx.attrs['eps'] as number);
      each(st.count, (e) => {
        const idx = st.at(e).map((v) => ctx.b.let(v, 'ix'));
        ctx.emit(0, idx, E.mul(E.sub(x.at(idx), st.mean), st.inv));
      });
    });
  },
};

const bnNormalizeInference: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const [x, rm, rv] = c.inputs as [Accessor, Accessor, Accessor];
    const ch = [idx[1]!];
    return E.mul(E.sub(x.at(idx), rm.at(ch)), E.call('inverseSqrt', E.add(rv.at(ch), f32(c.attrs['eps'] as number))));
  },
};

export const batchnormNormalize = {
  byMode: (_t: boolean, n: { attrs: Readonly<Record<string, unknown>> }) =>
    n.attrs['training'] ? bnNormalizeTraining : bnNormalizeInference,
};

const bnGradTraining: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, x] = ctx.inputs as [Accessor, Accessor];
    const { b } = ctx;
    perChannel(ctx, x.shape[1]!, (c, sh, each) => {
      const st = channelStats(ctx, x, c, sh, ctx.attrs['eps'] as number);
      const mg = b.let(
        E.div(
          workgroupSum(b, sh, WG, st.count, (e) => g.at(st.at(e))),
          f32(st.count),
        ),
        'mg',
      );
      const mgx = b.let(
        E.div(
          workgroupSum(b, sh, WG, st.count, (e) => {
            const idx = st.at(e);
            return E.mul(g.at(idx), E.mul(E.sub(x.at(idx), st.mean), st.inv));
          }),
          f32(st.count),
        ),
        'mgx',
      );
      each(st.count, (e) => {
        const idx = st.at(e).map((v) => b.let(v, 'ix'));
        const xh = E.mul(E.sub(x.at(idx), st.mean), st.inv);
        ctx.emit(0, idx, E.mul(st.inv, E.sub(E.sub(g.at(idx), mg), E.mul(xh, mgx))));
      });
    });
  },
};

const bnGradInference: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) =>
    E.mul(
      c.inputs[0]!.at(idx),
      E.call('inverseSqrt', E.add(c.inputs[2]!.at([idx[1]!]), f32(c.attrs['eps'] as number))),
    ),
};

export const batchnormGradInput = {
  byMode: (_t: boolean, n: { attrs: Readonly<Record<string, unknown>> }) =>
    n.attrs['training'] ? bnGradTraining : bnGradInference,
};

/** The input gradient of layer normalisation, a lane per row. */
export const layernormGradInput: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, x] = ctx.inputs as [Accessor, Accessor];
    const shape = x.shape;
    const d = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1);
    const eps = ctx.attrs['eps'] as number;
    const { b } = ctx;
    perElement(ctx, prod(rows), (id) => {
      const { at, mean, inv } = rowStats(b, x, E.unflatten(id, rows), d, eps);
      const sg = b.var(f32(0), 'sg');
      const sgx = b.var(f32(0), 'sgx');
      b.for(
        i32(0),
        i32(d),
        (k) => {
          const gv = b.let(g.at(at(k)), 'g');
          b.set(sg, gv, '+');
          b.set(sgx, E.mul(gv, E.mul(E.sub(x.at(at(k)), mean), inv)), '+');
        },
        1,
        'k',
      );
      b.for(
        i32(0),
        i32(d),
        (k) => {
          const xh = E.mul(E.sub(x.at(at(k)), mean), inv);
          ctx.emit(
            0,
            at(k),
            E.mul(
              inv,
              E.sub(E.sub(g.at(at(k)), E.div(E.ref(sg, 'f32'), f32(d))), E.div(E.mul(xh, E.ref(sgx, 'f32')), f32(d))),
            ),
          );
        },
        1,
        'k',
      );
    });
  },
};

/** One SGD step for one parameter: outputs the new parameter and momentum buffer. */
export const sgdUpdate: KernelLowering = {
  kind: 'kernel',
  elementwise: true,
  buffers: () => [],
  build(ctx) {
    const [p, g, buf, lr] = ctx.inputs as [Accessor, Accessor, Accessor, Accessor];
    const mu = ctx.attrs['momentum'] as number;
    const damp = ctx.attrs['dampening'] as number;
    const wd = ctx.attrs['weight_decay'] as number;
    const nesterov = ctx.attrs['nesterov'] as boolean;
    const shape = ctx.outShapes[0]!;
    const { b } = ctx;
    perElement(ctx, prod(shape), (id) => {
      const idx = E.unflatten(id, shape).map((e) => b.let(e, 'ix'));
      const pv = b.let(p.at(idx), 'p');
      const gi = b.let(wd !== 0 ? E.add(g.at(idx), E.mul(f32(wd), pv)) : g.at(idx), 'gi');
      const nb = b.let(E.add(E.mul(f32(mu), buf.at(idx)), E.mul(f32(1 - damp), gi)), 'nb');
      const d = mu === 0 ? gi : nesterov ? E.add(gi, E.mul(f32(mu), nb)) : nb;
      ctx.emit(1, idx, nb);
      ctx.emit(0, idx, E.sub(pv, E.mul(lr.at([]), d)));
    });
  },
};

/** One Adam/AdamW step; bias correction counts steps with the run's step (uniform). */
export const adamUpdate: KernelLowering = {
  kind: 'kernel',
  elementwise: true,
  buffers: () => [],
  build(ctx) {
    const [p, g, m, v, lr] = ctx.inputs as [Accessor, Accessor, Accessor, Accessor, Accessor];
    const b1 = ctx.attrs['beta1'] as number;
    const b2 = ctx.attrs['beta2'] as number;
    const eps = ctx.attrs['eps'] as number;
    const wd = ctx.attrs['weight_decay'] as number;
    const decoupled = ctx.attrs['decoupled'] as boolean;
    const shape = ctx.outShapes[0]!;
    const { b } = ctx;
    const t = b.let(E.add(E.cast('f32', ctx.rng().step), f32(1)), 't');
    const c1 = b.let(E.sub(f32(1), E.call('pow', f32(b1), t)), 'c1');
    const c2 = b.let(E.sub(f32(1), E.call('pow', f32(b2), t)), 'c2');
    const rate = b.let(lr.at([]), 'lr');
    perElement(ctx, prod(shape), (id) => {
      const idx = E.unflatten(id, shape).map((e) => b.let(e, 'ix'));
      let pi = b.let(p.at(idx), 'p');
      let gi = b.let(g.at(idx), 'g');
      if (decoupled) pi = b.let(E.mul(pi, E.sub(f32(1), E.mul(rate, f32(wd)))), 'pd');
      else if (wd !== 0) gi = b.let(E.add(gi, E.mul(f32(wd), pi)), 'gd');
      const mi = b.let(E.add(E.mul(f32(b1), m.at(idx)), E.mul(f32(1 - b1), gi)), 'm');
      const vi = b.let(E.add(E.mul(f32(b2), v.at(idx)), E.mul(f32(1 - b2), E.mul(gi, gi))), 'v');
      ctx.emit(1, idx, mi);
      ctx.emit(2, idx, vi);
      ctx.emit(0, idx, E.sub(pi, E.div(E.mul(rate, E.div(mi, c1)), E.add(E.sqrt(E.div(vi, c2)), f32(eps)))));
    });
  },
};
