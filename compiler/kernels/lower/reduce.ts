// Reductions and the ops built on them: pooling, global average pooling, sum/mean over axes,
// softmax and log-softmax, layernorm, batchnorm with batch statistics (training), and the
// losses. Their inputs may be fused expressions (a prologue): the kernel evaluates them where
// it reads them. Two strategies: a lane per output element when there are many outputs, or a
// workgroup per output with the reduction split over its lanes and combined in workgroup
// memory (deterministic order) when there are few outputs and long reductions.
import type { KernelBuilder } from '../builder.js';
import * as E from '../expr.js';
import { groups1d, grid1d } from '../grid.js';
import type { Expr } from '../ir.js';
import type { Accessor, AnchorCtx, KernelLowering } from '../lowering.js';
import { asPair } from '../../ops/helpers.js';
import { normAxis } from '../../ir/shape.js';

const { i32, f32 } = E;
/** The start of a max: the lowest finite float (WGSL has no infinite constants). */
export const NEG_INF = f32(-3.4028234663852886e38);
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

/** A lane per output element (four on a CPU adapter): `body(id)` under the guard id < total. */
export function perElement(ctx: AnchorCtx, total: number, body: (id: Expr) => void): void {
  // On a CPU adapter each lane takes 4 consecutive elements: a workgroup costs the driver a
  // task, and a quarter as many of them made the MLP's 0.2 M-parameter update 0.84 → 0.53 ms.
  // A real GPU wants neighbouring lanes on neighbouring elements: one each.
  const per = ctx.target.software ? 4 : 1;
  const g = grid1d(ctx.b, Math.ceil(total / per), 64, ctx.target, ctx.node.name);
  ctx.grid(g.workgroups, g.size);
  const id = ctx.b.let(g.id, 'id');
  if (per === 1) {
    ctx.b.if(E.lt(id, i32(total)), () => body(id));
    return;
  }
  for (let j = 0; j < per; j++) {
    const e = ctx.b.let(E.add(E.mul(id, i32(per)), i32(j)), 'e');
    ctx.b.if(E.lt(e, i32(total)), () => body(e));
  }
}

export const WG = 64;

/**
 * Σ_{r < R} term(r) over the lanes of one workgroup, combined in workgroup memory; every lane
 * gets the total. Must be reached in uniform control flow (it has barriers).
 */
export function workgroupSum(b: KernelBuilder, sh: string, lanes: number, R: number, term: (r: Expr) => Expr): Expr {
  const lane = b.let(E.builtin('lid', 0), 'lane');
  const acc = b.var(f32(0), 'part');
  b.for(
    i32(0),
    i32(R),
    (r0) => {
      const r = b.let(E.add(r0, lane), 'r');
      b.if(E.lt(r, i32(R)), () => b.set(acc, term(r), '+'));
    },
    lanes,
    'r0',
  );
  b.setElem(sh, lane, E.ref(acc, 'f32'));
  b.barrier();
  const tot = b.var(f32(0), 'tot');
  b.for(i32(0), i32(lanes), (i) => b.set(tot, E.elem(sh, 'f32', i), '+'), 1, 'j');
  b.barrier();
  return E.ref(tot, 'f32');
}

interface PoolGeom {
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
        if (kind === 'avg') {
          // PyTorch's divisor: the window clipped to the padded input (count_include_pad), or to the input.
          const he = E.min(E.add(hs, i32(g.kh)), i32(H + g.ph));
          const we = E.min(E.add(ws, i32(g.kw)), i32(W + g.pw));
          const div = ctx.attrs['count_include_pad']
            ? E.mul(E.sub(he, hs), E.sub(we, ws))
            : E.mul(E.sub(E.min(he, i32(H)), E.max(hs, i32(0))), E.sub(E.min(we, i32(W)), E.max(ws, i32(0))));
          value = E.div(value, E.cast('f32', div));
        }
        ctx.emit(0, [n!, c!, oh!, ow!], value);
      });
    },
  };
}

export const maxpool2d = pool('max');
export const avgpool2d = pool('avg');

/**
 * A reduction of `x` over `axes` (sum, or mean when `scale` is 1/count): output element `o`
 * of `outShape` (the kept dims, with 1s where keepdim) sums x over the reduced dims.
 */
export function reduceAxes(ctx: AnchorCtx, x: Accessor, axes: readonly number[], scale: number): void {
  const { b } = ctx;
  const rank = x.shape.length;
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = kept.map((i) => x.shape[i]!);
  const redShape = axes.map((i) => x.shape[i]!);
  const nOut = prod(keptShape);
  const R = prod(redShape);
  const outShape = ctx.outShapes[0]!;
  const inIdx = (o: Expr, r: Expr): Expr[] => {
    const ko = E.unflatten(o, keptShape);
    const ro = E.unflatten(r, redShape);
    const idx = new Array<Expr>(rank);
    kept.forEach((d, i) => (idx[d] = ko[i]!));
    axes.forEach((d, i) => (idx[d] = ro[i]!));
    return idx;
  };
  const put = (o: Expr, v: Expr) => ctx.emit(0, E.unflatten(o, outShape.length ? outShape : []), E.mul(v, f32(scale)));
  // A lane per output summing serially suits a CPU adapter (a few fast threads) whenever there
  // are enough outputs. A real GPU wants a workgroup per output as soon as the sums are long:
  // measured on an H200, batchnorm's backward sums (32 channels of 128×16×16) took 4.7 ms each
  // as one workgroup of 32 lanes.
  const lanePerOutput = ctx.target.software ? nOut >= 32 || R <= 32 : R <= 64 || nOut >= 65536;
  if (lanePerOutput) {
    perElement(ctx, nOut, (id) => {
      const o = b.let(id, 'o');
      const acc = b.var(f32(0), 'acc');
      b.for(i32(0), i32(R), (r) => b.set(acc, x.at(inIdx(o, r)), '+'), 1, 'r');
      put(o, E.ref(acc, 'f32'));
    });
    return;
  }
  const g = groups1d(b, nOut, WG, ctx.target, ctx.node.name);
  ctx.grid(g.workgroups, g.size);
  const sh = b.shared('f32', WG, 'part');
  const o = b.let(E.min(g.group, i32(nOut - 1)), 'o');
  const tot = workgroupSum(b, sh, WG, R, (r) => x.at(inIdx(o, r)));
  b.if(E.and(E.eq(E.builtin('lid', 0), i32(0)), E.lt(g.group, i32(nOut))), () => put(o, tot));
}

function reduction(mean: boolean): KernelLowering {
  return {
    kind: 'kernel',
    buffers: () => [],
    build(ctx) {
      const x = ctx.inputs[0]!;
      const axes = [...new Set((ctx.attrs['axes'] as readonly number[]).map((a) => normAxis(a, x.shape.length)!))].sort(
        (p, q) => p - q,
      );
      const count = prod(axes.map((a) => x.shape[a]!));
      reduceAxes(ctx, x, axes, mean ? 1 / count : 1);
    },
  };
}

export const sum = reduction(false);
export const mean = reduction(true);

export const globalAvgpool: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    reduceAxes(ctx, x, [2, 3], 1 / (x.shape[2]! * x.shape[3]!));
  },
};

/** Softmax or log-softmax along an axis: a lane per row, three passes (max, sum, write). */
function softmaxLowering(logOut: boolean): KernelLowering {
  return {
    kind: 'kernel',
    buffers: () => [],
    build(ctx) {
      const x = ctx.inputs[0]!;
      const shape = x.shape;
      const ax = normAxis(ctx.attrs['axis'] as number, shape.length)!;
      const n = shape[ax]!;
      const rowsShape = shape.filter((_, i) => i !== ax);
      const { b } = ctx;
      perElement(ctx, prod(rowsShape), (id) => {
        const ro = E.unflatten(id, rowsShape).map((e) => b.let(e, 'ix'));
        const at = (k: Expr): Expr[] => [...ro.slice(0, ax), k, ...ro.slice(ax)];
        const m = b.var(NEG_INF, 'mx');
        b.for(i32(0), i32(n), (k) => b.set(m, E.max(E.ref(m, 'f32'), x.at(at(k)))), 1, 'k');
        const s = b.var(f32(0), 'sum');
        b.for(i32(0), i32(n), (k) => b.set(s, E.exp(E.sub(x.at(at(k)), E.ref(m, 'f32'))), '+'), 1, 'k');
        const ls = b.let(E.log(E.ref(s, 'f32')), 'ls');
        const inv = b.let(E.div(f32(1), E.ref(s, 'f32')), 'inv');
        b.for(
          i32(0),
          i32(n),
          (k) => {
            const d = E.sub(x.at(at(k)), E.ref(m, 'f32'));
            ctx.emit(0, at(k), logOut ? E.sub(d, ls) : E.mul(E.exp(d), inv));
          },
          1,
          'k',
        );
      });
    },
  };
}

export const softmax = softmaxLowering(false);
export const logSoftmax = softmaxLowering(true);

/**
 * The statistics of one row of layer normalisation, in the lane that owns the row: its mean and
 * 1/√(var + eps) by two passes (the forward and the input gradient both need them).
 */
export function rowStats(
  b: KernelBuilder,
  x: Accessor,
  row: readonly Expr[],
  d: number,
  eps: number,
): { at: (k: Expr) => Expr[]; mean: Expr; inv: Expr } {
  const ro = row.map((e) => b.let(e, 'ix'));
  const at = (k: Expr): Expr[] => [...ro, k];
  const s = b.var(f32(0), 'sum');
  b.for(i32(0), i32(d), (k) => b.set(s, x.at(at(k)), '+'), 1, 'k');
  const mean = b.let(E.div(E.ref(s, 'f32'), f32(d)), 'mean');
  const q = b.var(f32(0), 'sq');
  b.for(
    i32(0),
    i32(d),
    (k) => {
      const c = b.let(E.sub(x.at(at(k)), mean), 'c');
      b.set(q, E.mul(c, c), '+');
    },
    1,
    'k',
  );
  const inv = b.let(E.div(f32(1), E.sqrt(E.add(E.div(E.ref(q, 'f32'), f32(d)), f32(eps)))), 'inv');
  return { at, mean, inv };
}

/** Layer normalisation over the last dim: a lane per row, two-pass statistics. */
export const layernorm: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    const [w, bias] = [ctx.inputs[1], ctx.inputs[2]];
    const shape = x.shape;
    const d = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1);
    const eps = ctx.attrs['eps'] as number;
    const { b } = ctx;
    perElement(ctx, prod(rows), (id) => {
      const { at, mean, inv } = rowStats(b, x, E.unflatten(id, rows), d, eps);
      b.for(
        i32(0),
        i32(d),
        (k) => {
          let y = E.mul(E.sub(x.at(at(k)), mean), inv);
          if (w && bias) y = E.add(E.mul(y, w.at([k])), bias.at([k]));
          ctx.emit(0, at(k), y);
        },
        1,
        'k',
      );
    });
  },
};

/**
 * Batchnorm with batch statistics (training): a workgroup per channel computes the mean and
 * the biased variance over N·H·W in two passes, writes the normalised output, and moves the
 * running statistics by `momentum` (towards the unbiased variance), as torch.nn.BatchNorm2d.
 */
export const batchnormTraining: KernelLowering = {
  kind: 'kernel',
  buffers: (n) => (n.attrs['affine'] ? [3, 4] : [1, 2]),
  build(ctx) {
    const x = ctx.inputs[0]!;
    const affine = ctx.attrs['affine'] as boolean;
    const ri = affine ? 3 : 1;
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const eps = ctx.attrs['eps'] as number;
    const mom = ctx.attrs['momentum'] as number;
    const count = N * H * W;
    const hw = H * W;
    const { b } = ctx;
    const g = groups1d(b, C, WG, ctx.target, ctx.node.name);
    ctx.grid(g.workgroups, g.size);
    const sh = b.shared('f32', WG, 'part');
    const c = b.let(E.min(g.group, i32(C - 1)), 'c');
    const at = (e: Expr): Expr[] => {
      const n = E.div(e, i32(hw));
      const k = E.mod(e, i32(hw));
      return [n, c, E.div(k, i32(W)), E.mod(k, i32(W))];
    };
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
    const qv = b.let(q, 'q');
    const inv = b.let(E.div(f32(1), E.sqrt(E.add(E.div(qv, f32(count)), f32(eps)))), 'inv');
    const scale = affine ? b.let(E.mul(inv, ctx.inputs[1]!.at([c])), 'scale') : inv;
    const shift = affine ? ctx.inputs[2]!.at([c]) : f32(0);
    const lane = b.let(E.builtin('lid', 0), 'lane');
    const live = b.let(E.lt(g.group, i32(C)), 'live');
    b.if(live, () => {
      b.for(
        i32(0),
        i32(count),
        (e0) => {
          const e = b.let(E.add(e0, lane), 'e');
          b.if(E.lt(e, i32(count)), () => {
            const idx = at(e).map((v) => b.let(v, 'ix'));
            ctx.emit(0, idx, E.add(E.mul(E.sub(x.at(idx), mean), scale), shift));
          });
        },
        WG,
        'e0',
      );
      b.if(E.eq(lane, i32(0)), () => {
        const rm = ctx.inputs[ri]!.at([c]);
        const rv = ctx.inputs[ri + 1]!.at([c]);
        const unbiased = E.div(qv, f32(count - 1));
        ctx.update(ri, c, E.add(E.mul(f32(1 - mom), rm), E.mul(f32(mom), mean)));
        ctx.update(ri + 1, c, E.add(E.mul(f32(1 - mom), rv), E.mul(f32(mom), unbiased)));
      });
    });
  },
};

/** Mean softmax cross-entropy of logits [N, C] against i32 class indices, with label smoothing. */
export const crossEntropy: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    const t = ctx.inputs[1]!;
    const [N, C] = x.shape as [number, number];
    const eps = ctx.attrs['label_smoothing'] as number;
    const { b } = ctx;
    ctx.grid([1, 1, 1], [WG, 1, 1]);
    const sh = b.shared('f32', WG, 'part');
    const tot = workgroupSum(b, sh, WG, N, (n) => {
      const m = b.var(NEG_INF, 'mx');
      b.for(i32(0), i32(C), (k) => b.set(m, E.max(E.ref(m, 'f32'), x.at([n, k]))), 1, 'k');
      const s = b.var(f32(0), 'se');
      const z = b.var(f32(0), 'sz');
      b.for(
        i32(0),
        i32(C),
        (k) => {
          const v = b.let(x.at([n, k]), 'v');
          b.set(s, E.exp(E.sub(v, E.ref(m, 'f32'))), '+');
          b.set(z, v, '+');
        },
        1,
        'k',
      );
      const lse = b.let(E.add(E.ref(m, 'f32'), E.log(E.ref(s, 'f32'))), 'lse');
      const tc = b.let(E.call('clamp', E.cast('i32', t.at([n])), i32(0), i32(C - 1)), 'tc');
      const picked = E.sub(x.at([n, tc]), lse);
      let loss = E.neg(E.mul(f32(1 - eps), picked));
      if (eps > 0) loss = E.sub(loss, E.mul(f32(eps / C), E.sub(E.ref(z, 'f32'), E.mul(f32(C), lse))));
      return loss;
    });
    b.if(E.eq(E.builtin('lid', 0), i32(0)), () => ctx.emit(0, [], E.div(tot, f32(N))));
  },
};

/** Mean squared error: one workgroup sums (p − t)² over every element. */
export const mse: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const p = ctx.inputs[0]!;
    const t = ctx.inputs[1]!;
    const n = prod(p.shape);
    const { b } = ctx;
    ctx.grid([1, 1, 1], [WG, 1, 1]);
    const sh = b.shared('f32', WG, 'part');
    const tot = workgroupSum(b, sh, WG, n, (i) => {
      const idx = E.unflatten(i, p.shape);
      const d = b.let(E.sub(p.at(idx), t.at(idx)), 'd');
      return E.mul(d, d);
    });
    b.if(E.eq(E.builtin('lid', 0), i32(0)), () => ctx.emit(0, [], E.div(tot, f32(n))));
  },
};
