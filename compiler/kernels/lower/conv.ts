// Direct 2-D convolution (NCHW, strides, padding, dilation, groups incl. depthwise). Each lane
// computes TW consecutive output columns of one output row for TO output channels; the
// workgroup's channels are the same for all its lanes, so every weight load is uniform. For
// each input channel and kernel row a lane loads the input row segment its TW outputs need once
// (zero outside the padded input) and reuses it across the kernel columns. Bias and the fused
// epilogue are applied per output element.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx, KernelLowering, View } from '../lowering.js';
import { KernelError } from '../lowering.js';
import { laneCount } from '../grid.js';
import type { Target } from '../target.js';
import type { ConvGeom } from '../../reference/kernels.js';
import type { Attrs } from '../../ir/types.js';
import { convGeom } from '../../ops/helpers.js';

const { i32, f32 } = E;

export interface ConvTiles {
  /** Output channels per workgroup (uniform); divides the channels per group, or is 1. */
  readonly to: number;
  /** Output columns per lane. */
  readonly tw: number;
  readonly lanes: number;
}

export function convTiles(og: number, Ho: number, Wo: number, taps: number, target: Target): ConvTiles {
  const to = channelsPerWorkgroup(og, taps, target);
  const tw = Math.min(to === 1 ? 8 : 4, Wo);
  const spatial = Ho * Math.ceil(Wo / tw);
  const lanes = laneCount(spatial, 64, target);
  return { to, tw, lanes };
}

/** A convolution's geometry: the same record the interpreter's reference kernels use. */
export type ConvGeometry = ConvGeom;

/** The geometry from the input, weight and output shapes (the kernel size read off the weight). */
export function convGeometry(
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
  a: Readonly<Record<string, unknown>>,
): ConvGeometry {
  return convGeom(x, y, { ...(a as Attrs), kernel: [w[2]!, w[3]!] });
}

/** Input `i` as a view of a buffer (one the lowering reads through `buffers`). */
export function need(ctx: AnchorCtx, i: number): View {
  const v = ctx.inputs[i]!.view;
  if (!v) throw new Error(`${ctx.node.name}: input ${i} is not a buffer`);
  return v;
}

/** Channels per workgroup: the largest divisor of `per` that is at most 8. */
export function blockOf(per: number, cap = 8): number {
  for (let d = Math.min(cap, per); d >= 1; d--) if (per % d === 0) return d;
  return 1;
}

/**
 * The channel block of the direct forward and input-gradient kernels, whose weight loads are
 * uniform: the largest divisor of `per` up to 8, or up to 4 on a CPU adapter when the kernel has
 * more than one tap. There a lane is one SIMD lane of a CPU core with 16 vector registers, and 8
 * channels × 4 columns of accumulators next to a 3×3 kernel's input window spill: measured at
 * batch 64 on NAS-Bench-201's and ResNet-20's 3×3 layers (16–64 channels, 8²–32²), 4 channels
 * ran the forward 1.2–1.5× and the input gradient 1.4–1.6× faster, and LeNet-5's 5×5 layers
 * 1.1–1.3×; 1×1 kernels kept 8 (4 was slower for the forward). A real GPU keeps 8, unmeasured.
 */
export function channelsPerWorkgroup(per: number, taps: number, target: Target): number {
  return blockOf(per, target.software && taps > 1 ? 4 : 8);
}

export const conv2d: KernelLowering = {
  kind: 'kernel',
  buffers: () => [0, 1],
  build(ctx) {
    const x = need(ctx, 0);
    const w = need(ctx, 1);
    const bias = ctx.inputs[2];
    const g = convGeometry(x.shape, w.shape, ctx.outShapes[0]!, ctx.attrs);
    const { b, target } = ctx;
    const og = g.O / g.groups;
    const cg = g.C / g.groups;
    const t = { ...convTiles(og, g.Ho, g.Wo, g.kh * g.kw, target), ...(ctx.tiles?.['conv'] ?? {}) } as ConvTiles;
    const nwb = Math.ceil(g.Wo / t.tw);
    const S = g.Ho * nwb;
    const gx = Math.ceil(S / t.lanes);
    const gy = Math.ceil(g.O / t.to);
    const max = target.limits.maxComputeWorkgroupsPerDimension;
    if (gx > max || gy > max || g.N > max)
      throw new KernelError(
        `${ctx.node.name}: the convolution needs more workgroups than the adapter's ${max} per dimension`,
      );
    ctx.grid([gx, gy, g.N], [t.lanes, 1, 1]);
    b.comment(
      `conv2d ${g.kh}×${g.kw}/${g.sh}, ${t.to} channels per workgroup (uniform weights), ${t.tw} columns per lane, ${t.lanes} lanes`,
    );

    const s = b.let(E.add(E.mul(E.builtin('wid', 0), i32(t.lanes)), E.builtin('lid', 0)), 's');
    const valid = b.let(E.lt(s, i32(S)), 'ok');
    const sc = b.let(E.min(s, i32(S - 1)), 'sc');
    const oh = b.let(E.div(sc, i32(nwb)), 'oh');
    const ow0 = b.let(E.mul(E.mod(sc, i32(nwb)), i32(t.tw)), 'ow0');
    const o0 = b.let(E.mul(E.builtin('wid', 1), i32(t.to)), 'o0');
    const n = b.let(E.builtin('wid', 2), 'n');
    const cin0 = b.let(E.mul(E.div(o0, i32(og)), i32(cg)), 'cin0');
    const X = ctx.bind(x, 'f32');
    const Wt = ctx.bind(w, 'f32');
    const [sN, sC, sH, sW] = x.strides as [number, number, number, number];
    const [wO, wC, wH, wW] = w.strides as [number, number, number, number];
    const seg = (t.tw - 1) * g.sw + (g.kw - 1) * g.dw + 1;

    const acc = Array.from({ length: t.to }, (_, o) =>
      Array.from({ length: t.tw }, (_, q) => b.var(f32(0), `acc${o}_${q}`)),
    );
    const oRows = Array.from({ length: t.to }, (_, o) =>
      b.let(E.add(E.mul(E.min(E.add(o0, i32(o)), i32(g.O - 1)), i32(wO)), i32(w.offset)), 'wo'),
    );
    const xn = b.let(E.add(E.mul(n, i32(sN)), i32(x.offset)), 'xn');
    const iw0 = b.let(E.sub(E.mul(ow0, i32(g.sw)), i32(g.pw)), 'iw0');
    // Column validity and clamped offsets of the input segment do not depend on the channel.
    const cols = Array.from({ length: seg }, (_, q) => {
      const iw = E.add(iw0, i32(q));
      return {
        ok: b.let(E.and(E.ge(iw, i32(0)), E.lt(iw, i32(g.W))), 'cok'),
        off: b.let(E.mul(E.call('clamp', iw, i32(0), i32(g.W - 1)), i32(sW)), 'cof'),
      };
    });
    const ih0 = b.let(E.sub(E.mul(oh, i32(g.sh)), i32(g.ph)), 'ih0');

    // One runtime loop over (input channel, kernel row); the kernel columns, the channel block
    // and the column block are unrolled (bounded code: pipelines compile in about a second).
    b.for(
      i32(0),
      i32(cg * g.kh),
      (r) => {
        const ci = g.kh === 1 ? r : b.let(E.div(r, i32(g.kh)), 'ci');
        const i = g.kh === 1 ? i32(0) : b.let(E.mod(r, i32(g.kh)), 'i');
        const ih = b.let(E.add(ih0, E.mul(i, i32(g.dh))), 'ih');
        const rok = b.let(E.and(E.ge(ih, i32(0)), E.lt(ih, i32(g.H))), 'rok');
        const xr = b.let(
          E.add(E.add(xn, E.mul(E.add(cin0, ci), i32(sC))), E.mul(E.call('clamp', ih, i32(0), i32(g.H - 1)), i32(sH))),
          'xr',
        );
        const wr = b.let(E.add(E.mul(ci, i32(wC)), E.mul(i, i32(wH))), 'wr');
        const xv: Expr[] = cols.map((c) =>
          b.let(E.sel(E.and(rok, c.ok), E.load(X, 'f32', E.add(xr, c.off)), f32(0)), 'x'),
        );
        for (let j = 0; j < g.kw; j++)
          for (let o = 0; o < t.to; o++) {
            const wv = b.let(E.load(Wt, 'f32', E.add(E.add(oRows[o]!, wr), i32(j * wW))), 'w');
            for (let q = 0; q < t.tw; q++) b.set(acc[o]![q]!, E.mul(wv, xv[q * g.sw + j * g.dw]!), '+');
          }
      },
      1,
      'r',
    );

    // The epilogue under one guard per lane (few branches: the driver compiles it fast), the
    // per-channel loads (bias, batchnorm) shared by the lane's columns.
    b.if(valid, () => {
      for (let o = 0; o < t.to; o++) {
        const oc = b.let(E.add(o0, i32(o)), 'oc');
        b.if(g.O % t.to === 0 ? E.bool(true) : E.lt(oc, i32(g.O)), () => {
          const bv = bias ? bias.at([oc]) : undefined;
          for (let q = 0; q < t.tw; q++) {
            const ow = b.let(E.add(ow0, i32(q)), 'ow');
            const v = E.ref(acc[o]![q]!, 'f32');
            b.if(g.Wo % t.tw === 0 ? E.bool(true) : E.lt(ow, i32(g.Wo)), () =>
              ctx.emit(0, [n, oc, oh, ow], bv ? E.add(v, bv) : v),
            );
          }
        });
      }
    });
  },
};
