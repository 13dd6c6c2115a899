// Pooling and its adjoints. Max and average pooling are a lane per output element looping over
// its window (positions in the padding skipped, PyTorch's divisors), on a CPU adapter a lane per
// run of outputs along a row; global average pooling is a mean over H×W (reduce.ts). The
// adjoints are gathers from the input's side — each input element sums the gradient of the
// windows that hold it — so no two lanes write one element and no atomics are needed; max
// pooling's adjoint and its JVP (maxpool2d_select) find each window's first maximum again
// rather than storing the argmax.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { Accessor, AnchorCtx, KernelLowering } from '../lowering.js';
import { asPair } from '../../ops/helpers.js';
import { reduceAxes } from './reduce.js';
import { NEG_INF, perElement, perRowRun, ROW_RUN } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

export interface PoolGeom {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

export function poolGeom(a: Readonly<Record<string, unknown>>): PoolGeom {
  const [kh, kw] = asPair(a['kernel'] as number[]);
  const st = a['stride'];
  const [sh, sw] = st === null || st === undefined ? [kh, kw] : asPair(st as number[]);
  const [ph, pw] = asPair(a['padding'] as number[]);
  const [dh, dw] = a['dilation'] === undefined ? [1, 1] : asPair(a['dilation'] as number[]);
  return { kh, kw, sh, sw, ph, pw, dh, dw };
}

function pool(kind: 'max' | 'avg'): KernelLowering {
  return {
    kind: 'kernel',
    buffers: () => [],
    build(ctx) {
      const x = ctx.inputs[0]!;
      const out = ctx.outShapes[0]!;
      const [, , H, W] = x.shape as [number, number, number, number];
      const g = poolGeom(ctx.attrs);
      const { b } = ctx;
      const Wo = out[3]!;
      if (ctx.target.software && Wo >= ROW_RUN && sharesColumns(g)) {
        poolRows(ctx, kind, g, out as [number, number, number, number]);
        return;
      }
      perElement(ctx, prod(out), (id) => {
        const [n, c, oh, ow] = E.unflatten(id, out).map((e) => b.let(e, 'ix'));
        const hs = b.let(E.sub(E.mul(oh!, i32(g.sh)), i32(g.ph)), 'hs');
        const ws = b.let(E.sub(E.mul(ow!, i32(g.sw)), i32(g.pw)), 'ws');
        const acc = b.var(kind === 'max' ? NEG_INF : f32(0), kind);
        for (let i = 0; i < g.kh; i++) {
          const ih = b.let(E.add(hs, i32(i * g.dh)), 'ih');
          const hok = b.let(E.and(E.ge(ih, i32(0)), E.lt(ih, i32(H))), 'hok');
          for (let j = 0; j < g.kw; j++) {
            const iw = b.let(E.add(ws, i32(j * g.dw)), 'iw');
            const ok = b.let(E.and(hok, E.and(E.ge(iw, i32(0)), E.lt(iw, i32(W)))), 'ok');
            const v = b.let(
              x.at([n!, c!, E.call('clamp', ih, i32(0), i32(H - 1)), E.call('clamp', iw, i32(0), i32(W - 1))]),
              'v',
            );
            const a = E.ref(acc, 'f32');
            b.set(acc, kind === 'max' ? E.sel(E.and(ok, E.gt(v, a)), v, a) : E.add(a, E.sel(ok, v, f32(0))));
          }
        }
        let value = E.ref(acc, 'f32');
        if (kind === 'avg') value = E.div(value, E.cast('f32', avgDivisor(ctx, g, H, W, hs, ws)));
        ctx.emit(0, [n!, c!, oh!, ow!], value);
      });
    },
  };
}

/**
 * Pooling on a CPU adapter: a lane per ROW_RUN consecutive outputs of one row (perRowRun), each
 * input column of a kernel row loaded once for the lane's windows. Every output takes the same
 * taps in the same order, with the same divisor, as a lane per output does: the results are
 * the same bit for bit.
 */
function poolRows(ctx: AnchorCtx, kind: 'max' | 'avg', g: PoolGeom, out: [number, number, number, number]): void {
  const x = ctx.inputs[0]!;
  const [, , H, W] = x.shape as [number, number, number, number];
  const { b } = ctx;
  perRowRun(ctx, out, ([n, c, oh, ow0], inside) => {
    const hs = b.let(E.sub(E.mul(oh, i32(g.sh)), i32(g.ph)), 'hs');
    const ws0 = b.let(E.sub(E.mul(ow0, i32(g.sw)), i32(g.pw)), 'ws');
    const acc = Array.from({ length: ROW_RUN }, () => b.var(kind === 'max' ? NEG_INF : f32(0), kind));
    for (let i = 0; i < g.kh; i++) {
      const ih = b.let(E.add(hs, i32(i * g.dh)), 'ih');
      const hok = b.let(E.and(E.ge(ih, i32(0)), E.lt(ih, i32(H))), 'hok');
      const cih = E.call('clamp', ih, i32(0), i32(H - 1));
      // The kernel row's input columns, by offset from ws0, each loaded when first needed.
      const cols = new Map<number, { v: Expr; ok: Expr }>();
      const column = (u: number) => {
        let t = cols.get(u);
        if (!t) {
          const iw = b.let(E.add(ws0, i32(u)), 'iw');
          const ok = b.let(E.and(hok, E.and(E.ge(iw, i32(0)), E.lt(iw, i32(W)))), 'ok');
          const v = b.let(x.at([n, c, cih, E.call('clamp', iw, i32(0), i32(W - 1))]), 'v');
          cols.set(u, (t = { v, ok }));
        }
        return t;
      };
      for (let k = 0; k < ROW_RUN; k++)
        for (let j = 0; j < g.kw; j++) {
          const { v, ok } = column(k * g.sw + j * g.dw);
          const a = E.ref(acc[k]!, 'f32');
          b.set(acc[k]!, kind === 'max' ? E.sel(E.and(ok, E.gt(v, a)), v, a) : E.add(a, E.sel(ok, v, f32(0))));
        }
    }
    for (let k = 0; k < ROW_RUN; k++) {
      const ow = b.let(E.add(ow0, i32(k)), 'ow');
      b.if(inside(k), () => {
        let value = E.ref(acc[k]!, 'f32');
        if (kind === 'avg')
          value = E.div(value, E.cast('f32', avgDivisor(ctx, g, H, W, hs, E.add(ws0, i32(k * g.sw)))));
        ctx.emit(0, [n, c, oh, ow], value);
      });
    }
  });
}

/**
 * Whether a run of ROW_RUN neighbouring windows reads some input column twice, so that loading
 * each once saves loads: not for windows that tile the row (LeNet's 2×2 pooling), where a lane
 * per run would only leave lanes idle at the end of rows the run does not divide.
 */
function sharesColumns(g: PoolGeom): boolean {
  const offsets = new Set<number>();
  for (let k = 0; k < ROW_RUN; k++) for (let j = 0; j < g.kw; j++) offsets.add(k * g.sw + j * g.dw);
  return offsets.size < ROW_RUN * g.kw;
}

/** PyTorch's divisor: the window clipped to the padded input (count_include_pad), or to the input. */
function avgDivisor(ctx: AnchorCtx, g: PoolGeom, H: number, W: number, hs: Expr, ws: Expr): Expr {
  const he = E.min(E.add(hs, i32(g.kh)), i32(H + g.ph));
  const we = E.min(E.add(ws, i32(g.kw)), i32(W + g.pw));
  return ctx.attrs['count_include_pad']
    ? E.mul(E.sub(he, hs), E.sub(we, ws))
    : E.mul(E.sub(E.min(he, i32(H)), E.max(hs, i32(0))), E.sub(E.min(we, i32(W)), E.max(ws, i32(0))));
}

export const maxpool2d = pool('max');
export const avgpool2d = pool('avg');

export const globalAvgpool: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    reduceAxes(ctx, x, [2, 3], 1 / (x.shape[2]! * x.shape[3]!));
  },
};

/** The first maximum of a max-pooling window (its kernel offsets i·kw + j), as PyTorch picks it. */
function windowArgmax(ctx: AnchorCtx, x: Accessor, n: Expr, c: Expr, oh: Expr, ow: Expr, w: PoolGeom): Expr {
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
    const w = poolGeom(ctx.attrs);
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
    const w = poolGeom(ctx.attrs);
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
    if (sh === kh && sw === kw && ph === 0 && pw === 0) {
      // Tiling windows (adaptive pooling, global pooling by a kernel): each input element lies in
      // at most one window, found by division; the divisor is the window clipped to the input.
      perElement(ctx, N * C * H * W, (id) => {
        const [n, c, ih, iw] = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
        const oh = b.let(E.div(ih, i32(kh)), 'oh');
        const ow = b.let(E.div(iw, i32(kw)), 'ow');
        const hs = E.mul(oh, i32(kh));
        const ws = E.mul(ow, i32(kw));
        const div = E.mul(E.sub(E.min(E.add(hs, i32(kh)), i32(H)), hs), E.sub(E.min(E.add(ws, i32(kw)), i32(W)), ws));
        const ok = E.and(E.lt(oh, i32(Ho)), E.lt(ow, i32(Wo)));
        const g = gy.at([n, c, E.min(oh, i32(Ho - 1)), E.min(ow, i32(Wo - 1))]);
        ctx.emit(0, [n, c, ih, iw], E.sel(ok, E.div(g, E.cast('f32', div)), f32(0)));
      });
      return;
    }
    // Along one axis, for kernel offset k: the output index, whether it exists, and the
    // window's extent there (clipped to the input unless padding counts).
    const axis = (at: Expr, k: number, p: number, size: number, outSize: number, kk: number, tag: string) => {
      const o = b.let(E.sub(E.add(at, i32(p)), i32(k)), `o${tag}`);
      const ok = b.let(E.and(E.ge(o, i32(0)), E.lt(o, i32(outSize))), `ok${tag}`);
      const s0 = E.sub(o, i32(p));
      const extent = cip
        ? E.sub(E.min(E.add(s0, i32(kk)), i32(size + p)), s0)
        : E.sub(E.min(E.add(s0, i32(kk)), i32(size)), E.max(s0, i32(0)));
      return { o: E.call('clamp', o, i32(0), i32(outSize - 1)), ok, extent: b.let(extent, `e${tag}`) };
    };
    if (sh === 1 && sw === 1 && ctx.target.software && W >= ROW_RUN) {
      // Stride 1 on a CPU adapter: a lane per ROW_RUN consecutive input elements of a row. Their
      // taps in one kernel row read ROW_RUN + kw − 1 distinct output columns, each quotient
      // (g over its window's size, zero outside) made once and added where the lane per
      // element below adds it, in the same order: the same results bit for bit.
      perRowRun(ctx, out as [number, number, number, number], ([n, c, ih, iw0], inside) => {
        const acc = Array.from({ length: ROW_RUN }, () => b.var(f32(0), 'acc'));
        for (let i = 0; i < kh; i++) {
          const r = axis(ih, i, ph, H, Ho, kh, 'h');
          const quotients = new Map<number, Expr>();
          // Element k's tap j reads output column iw0 + k + pw − j: by d = k − j.
          const quotient = (d: number) => {
            let v = quotients.get(d);
            if (!v) {
              const q = axis(iw0, -d, pw, W, Wo, kw, 'w');
              const g = E.div(gy.at([n, c, r.o, q.o]), E.cast('f32', E.mul(r.extent, q.extent)));
              quotients.set(d, (v = b.let(E.sel(E.and(r.ok, q.ok), g, f32(0)), 'q')));
            }
            return v;
          };
          for (let k = 0; k < ROW_RUN; k++) for (let j = 0; j < kw; j++) b.set(acc[k]!, quotient(k - j), '+');
        }
        for (let k = 0; k < ROW_RUN; k++) {
          const iw = b.let(E.add(iw0, i32(k)), 'iw');
          b.if(inside(k), () => ctx.emit(0, [n, c, ih, iw], E.ref(acc[k]!, 'f32')));
        }
      });
      return;
    }
    if (sh === 1 && sw === 1) {
      // Stride 1 (NAS-Bench-201's 3×3 pooling): input row ih is in the windows of output rows
      // ih + ph − i, with no division or remainder to find them, so the taps need no branches.
      // A window's extent along each axis is found once per kernel row and column, not per tap;
      // the taps are added in the same order, each the same quotient (zero outside), as below.
      perElement(ctx, N * C * H * W, (id) => {
        const [n, c, ih, iw] = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
        const rows = Array.from({ length: kh }, (_, i) => axis(ih, i, ph, H, Ho, kh, 'h'));
        const cols = Array.from({ length: kw }, (_, j) => axis(iw, j, pw, W, Wo, kw, 'w'));
        const acc = b.var(f32(0), 'acc');
        for (const r of rows)
          for (const q of cols) {
            const g = E.div(gy.at([n, c, r.o, q.o]), E.cast('f32', E.mul(r.extent, q.extent)));
            b.set(acc, E.sel(E.and(r.ok, q.ok), g, f32(0)), '+');
          }
        ctx.emit(0, [n, c, ih, iw], E.ref(acc, 'f32'));
      });
      return;
    }
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

/**
 * Adaptive pooling to an output size that divides the input: the pooling `base` with kernel =
 * stride = input / output (compiler/ops/helpers.ts adaptivePool).
 */
export function adaptive(base: KernelLowering, fixed: Readonly<Record<string, unknown>>): KernelLowering {
  return {
    kind: 'kernel',
    buffers: (n) => base.buffers(n),
    build(ctx) {
      const [, , H, W] = ctx.inputs[0]!.shape;
      const [, , oh, ow] = ctx.outShapes[0]!;
      const k = [H! / oh!, W! / ow!];
      const attrs = { ...fixed, kernel: k, stride: k, padding: [0, 0] };
      base.build(Object.create(ctx, { attrs: { value: attrs } }) as AnchorCtx);
    },
  };
}

export const adaptiveAvgpool2d = adaptive(avgpool2d, { ceil_mode: false, count_include_pad: true });
export const adaptiveMaxpool2d = adaptive(maxpool2d, { dilation: [1, 1], ceil_mode: false });
