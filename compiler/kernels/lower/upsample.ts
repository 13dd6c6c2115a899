// Upsampling and its adjoint. The forward pass is pointwise (each output element interpolates
// at most four input elements, fused into its consumer); the adjoint is a gather from the
// input's side: each input element sums the gradients of the few output rows and columns that
// read it, a window whose position and length follow from the weights the reference computes
// (compiler/ops/upsample.ts), so no two lanes write one element.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { KernelLowering, PointCtx, PointwiseLowering } from '../lowering.js';
import { asPair } from '../../ops/helpers.js';
import { axisWeights, type UpsampleMode } from '../../ops/upsample.js';
import { perElement } from './schedule.js';

const { i32, f32 } = E;

interface Axis {
  readonly inp: number;
  readonly scale: number;
}

const settings = (attrs: Readonly<Record<string, unknown>>) => ({
  scale: asPair(attrs['scale'] as number[]),
  mode: attrs['mode'] as UpsampleMode,
  align: attrs['align_corners'] as boolean,
});

/** The input indices and weight output index `o` reads along an axis: i0, i1 and λ, in f32 as PyTorch's float kernel. */
function source(c: Pick<PointCtx, 'b'>, o: Expr, ax: Axis, mode: UpsampleMode, align: boolean) {
  if (mode === 'nearest') {
    const i = c.b.let(E.div(o, i32(ax.scale)), 'ni');
    return { i0: i, i1: i, lambda: f32(0) };
  }
  const out = ax.inp * ax.scale;
  const ratio = align ? (out > 1 ? (ax.inp - 1) / (out - 1) : 0) : 1 / ax.scale;
  const of = E.cast('f32', o);
  const src = c.b.let(
    align ? E.mul(of, f32(ratio)) : E.max(E.sub(E.mul(E.add(of, f32(0.5)), f32(ratio)), f32(0.5)), f32(0)),
    'src',
  );
  const i0 = c.b.let(E.min(E.cast('i32', src), i32(ax.inp - 1)), 'i0');
  const i1 = c.b.let(E.min(E.add(i0, i32(1)), i32(ax.inp - 1)), 'i1');
  return { i0, i1, lambda: c.b.let(E.sub(src, E.cast('f32', i0)), 'lam') };
}

const lerp = (a: Expr, b: Expr, l: Expr): Expr => E.add(E.mul(a, E.sub(f32(1), l)), E.mul(b, l));

export const upsample: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const x = c.inputs[0]!;
    const { scale, mode, align } = settings(c.attrs);
    const [n, ch, o, p] = idx as [Expr, Expr, Expr, Expr];
    const r = source(c, o, { inp: x.shape[2]!, scale: scale[0] }, mode, align);
    if (mode === 'nearest') {
      const q = source(c, p, { inp: x.shape[3]!, scale: scale[1] }, mode, align);
      return x.at([n, ch, r.i0, q.i0]);
    }
    const q = source(c, p, { inp: x.shape[3]!, scale: scale[1] }, mode, align);
    const top = lerp(x.at([n, ch, r.i0, q.i0]), x.at([n, ch, r.i0, q.i1]), q.lambda);
    const bottom = lerp(x.at([n, ch, r.i1, q.i0]), x.at([n, ch, r.i1, q.i1]), q.lambda);
    return lerp(top, bottom, r.lambda);
  },
};

/**
 * The outputs that read input index i along an axis lie in [scale·i − back, scale·i − back +
 * span): `back` and `span` are the largest such offsets over the axis (a few rows).
 */
function window(ax: Axis, mode: UpsampleMode, align: boolean): { back: number; span: number } {
  const w = axisWeights(ax.inp, ax.scale, mode, align);
  const lo = new Array<number>(ax.inp).fill(Infinity);
  const hi = new Array<number>(ax.inp).fill(-Infinity);
  for (let o = 0; o < w.i0.length; o++)
    for (const i of [w.i0[o]!, w.i1[o]!]) {
      lo[i] = Math.min(lo[i]!, o);
      hi[i] = Math.max(hi[i]!, o);
    }
  let back = 0;
  for (let i = 0; i < ax.inp; i++) if (lo[i]! <= hi[i]!) back = Math.max(back, ax.scale * i - lo[i]!);
  let span = 1;
  for (let i = 0; i < ax.inp; i++) if (lo[i]! <= hi[i]!) span = Math.max(span, hi[i]! - (ax.scale * i - back) + 1);
  return { back, span };
}

export const upsampleGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const g = ctx.inputs[0]!;
    const out = ctx.outShapes[0]!;
    const [N, C, H, W] = out as [number, number, number, number];
    const [, , Ho, Wo] = g.shape as [number, number, number, number];
    const { scale, mode, align } = settings(ctx.attrs);
    const axes: [Axis, Axis] = [
      { inp: H, scale: scale[0] },
      { inp: W, scale: scale[1] },
    ];
    const [wr, wc] = [window(axes[0], mode, align), window(axes[1], mode, align)];
    const { b } = ctx;
    perElement(ctx, N * C * H * W, (id) => {
      const [n, ch, h, w] = E.unflatten(id, out).map((e) => b.let(e, 'ix')) as [Expr, Expr, Expr, Expr];
      const acc = b.var(f32(0), 'acc');
      // The weight with which output index o (valid: inside the output) reads input index i.
      const weight = (o: Expr, i: Expr, ax: Axis, size: number) => {
        const ok = b.let(E.and(E.ge(o, i32(0)), E.lt(o, i32(size))), 'ok');
        const s = source(ctx, E.call('clamp', o, i32(0), i32(size - 1)), ax, mode, align);
        const wt =
          mode === 'nearest'
            ? E.sel(E.eq(s.i0, i), f32(1), f32(0))
            : E.add(E.sel(E.eq(s.i0, i), E.sub(f32(1), s.lambda), f32(0)), E.sel(E.eq(s.i1, i), s.lambda, f32(0)));
        return { ok, o: E.call('clamp', o, i32(0), i32(size - 1)), wt: b.let(E.sel(ok, wt, f32(0)), 'wt') };
      };
      const o0 = b.let(E.sub(E.mul(h, i32(scale[0])), i32(wr.back)), 'o0');
      const p0 = b.let(E.sub(E.mul(w, i32(scale[1])), i32(wc.back)), 'p0');
      b.for(
        i32(0),
        i32(wr.span),
        (k) => {
          const r = weight(E.add(o0, k), h, axes[0], Ho);
          b.for(
            i32(0),
            i32(wc.span),
            (l) => {
              const q = weight(E.add(p0, l), w, axes[1], Wo);
              b.set(acc, E.mul(E.mul(r.wt, q.wt), g.at([n, ch, r.o, q.o])), '+');
            },
            1,
            'l',
          );
        },
        1,
        'k',
      );
      ctx.emit(0, [n, ch, h, w], E.ref(acc, 'f32'));
    });
  },
};
