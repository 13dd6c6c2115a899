// The input gradient of a 2-D convolution, a direct kernel with the forward's layout turned
// around: lanes over input positions (TW columns each), TC input channels per workgroup so
// every weight load is uniform, and for stride 1 the dy row segment a lane needs loaded once per
// (output channel, kernel row) and reused across the kernel columns. It gathers (each input
// element sums the outputs it fed), so no two lanes write one element.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { AnchorCtx, KernelLowering, View } from '../lowering.js';
import { KernelError } from '../lowering.js';
import { laneCount } from '../grid.js';
import { channelsPerWorkgroup, convGeometry, need, type ConvGeometry } from './conv.js';

const { i32, f32 } = E;

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
    if ((g.sh > 1 || g.sw > 1) && g.dh === 1 && g.dw === 1) return buildPhases(ctx, dy, w, g);
    const { b, target } = ctx;
    const og = g.O / g.groups;
    const cg = g.C / g.groups;
    const tc = channelsPerWorkgroup(cg, g.kh * g.kw, target);
    const tw = Math.min(4, g.W);
    const nwb = Math.ceil(g.W / tw);
    const S = g.H * nwb;
    const lanes = laneCount(S, 64, target);
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
    const n = b.let(E.builtin('wid', 2), 'n');
    const { c0, o0, ci0, DY, Wt, acc } = channelBlock(ctx, dy, w, cg, og, tc, tw);
    const [yN, yC, yH, yW] = dy.strides as [number, number, number, number];
    const [wO, wC, wH, wW] = w.strides as [number, number, number, number];
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
 * What both input-gradient kernels set up alike: the workgroup's block of TC input channels
 * (its first channel c0, the first output channel o0 of their group, c0's index ci0 in the
 * group), the bindings of dy and the weights, and TC × TW accumulators.
 */
function channelBlock(ctx: AnchorCtx, dy: View, w: View, cg: number, og: number, tc: number, tw: number) {
  const { b } = ctx;
  const c0 = b.let(E.mul(E.builtin('wid', 1), i32(tc)), 'c0');
  const o0 = b.let(E.mul(E.div(c0, i32(cg)), i32(og)), 'o0');
  const ci0 = b.let(E.mod(c0, i32(cg)), 'ci0');
  const DY = ctx.bind(dy, 'f32');
  const Wt = ctx.bind(w, 'f32');
  const acc = Array.from({ length: tc }, (_, c) => Array.from({ length: tw }, (_, q) => b.var(f32(0), `acc${c}_${q}`)));
  return { c0, o0, ci0, DY, Wt, acc };
}

/**
 * A strided convolution's input gradient by phases. Input position (ih, iw) receives from
 * kernel rows i ≡ ih + ph (mod sh) and columns j ≡ iw + pw (mod sw) only, so the input is split
 * into sh·sw sub-grids of one (row, column) phase each, a workgroup per phase, block of
 * channels and block of positions: every lane of a workgroup then needs the same kernel rows
 * and columns, its weight loads stay uniform, and no tap is spent on a position the stride
 * skips. A lane owns TW columns of its phase (sw apart in the input, adjacent in dy), so for
 * each output channel and kernel row it loads one dy segment and reuses it across the columns.
 * The direct kernel (below) visits every tap and masks most of them (3 of 4 for stride 2).
 */
function buildPhases(ctx: AnchorCtx, dy: View, w: View, g: ConvGeometry): void {
  const { b, target } = ctx;
  const og = g.O / g.groups;
  const cg = g.C / g.groups;
  const tc = channelsPerWorkgroup(cg, g.kh * g.kw, target);
  const phases = g.sh * g.sw;
  // A phase's rows and columns (the first phases have the most).
  const Hp = Math.ceil(g.H / g.sh);
  const Wp = Math.ceil(g.W / g.sw);
  const tw = Math.min(4, Wp);
  const nwb = Math.ceil(Wp / tw);
  const S = Hp * nwb;
  const lanes = laneCount(S, 64, target);
  const gx = Math.ceil(S / lanes);
  const gy = Math.ceil(g.C / tc);
  const gz = g.N * phases;
  const max = target.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max || gz > max)
    throw new KernelError(`${ctx.node.name}: needs more workgroups than the adapter's ${max} per dimension`);
  ctx.grid([gx, gy, gz], [lanes, 1, 1]);
  b.comment(`conv2d_grad_input by ${phases} phases: ${tc} input channels per workgroup, ${tw} columns per lane`);
  // Kernel rows (columns) per phase at most: those ≡ the phase's residue, sh (sw) apart.
  const T = Math.ceil(g.kh / g.sh);
  const U = Math.ceil(g.kw / g.sw);
  const s = b.let(E.add(E.mul(E.builtin('wid', 0), i32(lanes)), E.builtin('lid', 0)), 's');
  const sc = b.let(E.min(s, i32(S - 1)), 'sc');
  const a = b.let(E.div(sc, i32(nwb)), 'a');
  const m0 = b.let(E.mul(E.mod(sc, i32(nwb)), i32(tw)), 'm0');
  const z = b.let(E.builtin('wid', 2), 'z');
  const n = b.let(E.div(z, i32(phases)), 'n');
  const phase = b.let(E.mod(z, i32(phases)), 'phase');
  const rho = b.let(E.div(phase, i32(g.sw)), 'rho');
  const phi = b.let(E.mod(phase, i32(g.sw)), 'phi');
  const ih = b.let(E.add(rho, E.mul(a, i32(g.sh))), 'ih');
  const valid = b.let(E.and(E.lt(s, i32(S)), E.lt(ih, i32(g.H))), 'ok');
  // The first kernel row and column of the phase, and the dy row and column they reach:
  // i = i0 + t·sh reaches oh = a + r0 − t; j = j0 + u·sw reaches ow = m + c0 − u.
  const i0 = b.let(E.mod(E.add(rho, i32(g.ph)), i32(g.sh)), 'i0');
  const r0 = b.let(E.div(E.sub(E.add(rho, i32(g.ph)), i0), i32(g.sh)), 'r0');
  const j0 = b.let(E.mod(E.add(phi, i32(g.pw)), i32(g.sw)), 'j0');
  const c0 = b.let(E.div(E.sub(E.add(phi, i32(g.pw)), j0), i32(g.sw)), 'c0');
  const { c0: ch0, o0, ci0, DY, Wt, acc } = channelBlock(ctx, dy, w, cg, og, tc, tw);
  const [yN, yC, yH, yW] = dy.strides as [number, number, number, number];
  const [wO, wC, wH, wW] = w.strides as [number, number, number, number];
  // dy columns m0 + c0 + k − (U − 1), k < TW + U − 1: those the lane's columns reach.
  const seg = tw + U - 1;
  const cols = Array.from({ length: seg }, (_, k) => {
    const ow = b.let(E.add(E.add(m0, c0), i32(k - (U - 1))), 'ow');
    const ok = b.let(E.and(E.ge(ow, i32(0)), E.lt(ow, i32(g.Wo))), 'cok');
    return { ok, off: b.let(E.mul(E.call('clamp', ow, i32(0), i32(g.Wo - 1)), i32(yW)), 'cof') };
  });
  const jOk = Array.from({ length: U }, (_, u) => b.let(E.lt(E.add(j0, i32(u * g.sw)), i32(g.kw)), 'jok'));
  const yn = b.let(E.add(E.mul(n, i32(yN)), i32(dy.offset)), 'yn');
  const wci = b.let(E.add(E.mul(ci0, i32(wC)), i32(w.offset)), 'wci');
  b.for(
    i32(0),
    i32(og),
    (oi) => {
      const o = b.let(E.add(o0, oi), 'o');
      const yo = b.let(E.add(yn, E.mul(o, i32(yC))), 'yo');
      const wo = b.let(E.add(wci, E.mul(o, i32(wO))), 'wo');
      for (let t = 0; t < T; t++) {
        const i = b.let(E.add(i0, i32(t * g.sh)), 'i');
        const oh = b.let(E.sub(E.add(a, r0), i32(t)), 'oh');
        const rok = b.let(E.and(E.lt(i, i32(g.kh)), E.and(E.ge(oh, i32(0)), E.lt(oh, i32(g.Ho)))), 'rok');
        const yr = b.let(E.add(yo, E.mul(E.call('clamp', oh, i32(0), i32(g.Ho - 1)), i32(yH))), 'yr');
        const gv = cols.map((cq) => b.let(E.sel(E.and(rok, cq.ok), E.load(DY, 'f32', E.add(yr, cq.off)), f32(0)), 'g'));
        const wr = b.let(E.add(wo, E.mul(E.min(i, i32(g.kh - 1)), i32(wH))), 'wr');
        for (let u = 0; u < U; u++) {
          const j = E.min(E.add(j0, i32(u * g.sw)), i32(g.kw - 1));
          const wj = b.let(E.add(wr, E.mul(j, i32(wW))), 'wj');
          for (let c = 0; c < tc; c++) {
            const wv = b.let(E.sel(jOk[u]!, E.load(Wt, 'f32', E.add(wj, i32(c * wC))), f32(0)), 'w');
            for (let q = 0; q < tw; q++) b.set(acc[c]![q]!, E.mul(wv, gv[q - u + U - 1]!), '+');
          }
        }
      }
    },
    1,
    'oi',
  );
  b.if(valid, () => {
    for (let c = 0; c < tc; c++) {
      const ch = b.let(E.add(ch0, i32(c)), 'ch');
      for (let q = 0; q < tw; q++) {
        const iw = b.let(E.add(phi, E.mul(E.add(m0, i32(q)), i32(g.sw))), 'iw');
        b.if(E.lt(iw, i32(g.W)), () => ctx.emit(0, [n, ch, ih, iw], E.ref(acc[c]![q]!, 'f32')));
      }
    }
  });
}

/**
 * conv_transpose2d: the input gradient of the convolution with its geometry (x in dy's place),
 * and its bias, when it has one, added as each output element is written.
 */
export const convTranspose2d: KernelLowering = {
  kind: 'kernel',
  buffers: (n) => (n.inputs.length > 2 ? [0, 1, 2] : [0, 1]),
  build(ctx) {
    const bias = ctx.inputs[2];
    if (!bias) return conv2dGradInput.build(ctx);
    const emit: AnchorCtx['emit'] = (o, idx, v) => ctx.emit(o, idx, E.add(v, bias.at([idx[1]!])));
    conv2dGradInput.build(Object.create(ctx, { emit: { value: emit } }) as AnchorCtx);
  },
};
