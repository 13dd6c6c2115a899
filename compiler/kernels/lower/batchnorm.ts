// 2-D batch normalisation, forward and backward, in both modes. With running statistics
// (inference) it is a per-channel affine map, pointwise, fused into its producer's epilogue.
// With batch statistics (training) it is a workgroup per channel: the mean and variance over
// N·H·W by workgroup sums (deterministic order), then the output; the forward kernel also moves
// the running statistics. batchnorm2d_normalize (x̂, which the weight gradients read) and the
// input gradient follow the node's own mode, and recompute the statistics instead of storing them.
import * as E from '../expr.js';
import { groups1d } from '../grid.js';
import type { Expr } from '../ir.js';
import type { Accessor, AnchorCtx, KernelLowering, PointwiseLowering } from '../lowering.js';
import { WG, workgroupSum, workgroupSums } from './schedule.js';

const { i32, f32 } = E;

/** Batchnorm with running statistics (inference): a per-channel affine map. */
export const batchnormInference: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const affine = c.attrs['affine'] as boolean;
    const ch = [idx[1]!];
    const [rm, rv] = affine ? [c.inputs[3]!, c.inputs[4]!] : [c.inputs[1]!, c.inputs[2]!];
    const eps = c.attrs['eps'] as number;
    let y = E.mul(E.sub(c.inputs[0]!.at(idx), rm.at(ch)), E.call('inverseSqrt', E.add(rv.at(ch), f32(eps))));
    if (affine) y = E.add(E.mul(y, c.inputs[1]!.at(ch)), c.inputs[2]!.at(ch));
    return y;
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
    const mom = ctx.attrs['momentum'] as number;
    const { b } = ctx;
    perChannel(ctx, x.shape[1]!, (c, sh, each, first) => {
      const st = channelStats(ctx, x, c, sh, ctx.attrs['eps'] as number);
      const scale = affine ? b.let(E.mul(st.inv, ctx.inputs[1]!.at([c])), 'scale') : st.inv;
      const shift = affine ? ctx.inputs[2]!.at([c]) : f32(0);
      eachElement(b, st.units, each, (idx, xv) => ctx.emit(0, idx, E.add(E.mul(E.sub(xv, st.mean), scale), shift)));
      b.if(first(), () => {
        const rm = ctx.inputs[ri]!.at([c]);
        const rv = ctx.inputs[ri + 1]!.at([c]);
        const unbiased = E.div(st.q, f32(st.count - 1));
        ctx.update(ri, c, E.add(E.mul(f32(1 - mom), rm), E.mul(f32(mom), st.mean)));
        ctx.update(ri + 1, c, E.add(E.mul(f32(1 - mom), rv), E.mul(f32(mom), unbiased)));
      });
    });
  },
};

/**
 * How a workgroup walks its channel of x [N, C, H, W]: in units of `width` consecutive elements
 * of one (n, c) plane. On a CPU adapter, where x is read from a buffer whose (n, c) planes are
 * contiguous and 16-byte aligned and H·W is a multiple of 4, a unit is one vec4 load: every
 * load there is a gather, and a lane that loads four elements at once loads a quarter as often
 * (the training-mode forward kernel alone: 1.3–1.9× faster). Elsewhere (a fused producer, a
 * strided view, a GPU) a unit is one element read through the accessor.
 */
interface ChannelUnits {
  /** Units per channel. */
  readonly count: number;
  readonly width: 1 | 4;
  /** The multi-index of element `j` of unit `e`. */
  idx(e: Expr, j: number): Expr[];
  /**
   * The unit's `width` elements of x (one load). `idx`: its elements' indices where the caller
   * has bound them already, so that an element read through the accessor is addressed by them.
   */
  load(e: Expr, idx?: readonly (readonly Expr[])[]): Expr[];
}

function channelUnits(ctx: AnchorCtx, x: Accessor, c: Expr): ChannelUnits {
  const { b } = ctx;
  const [N, , H, W] = x.shape as [number, number, number, number];
  const hw = H * W;
  const v = x.view;
  // Each (n, c) plane contiguous and every unit 16-byte aligned in the buffer.
  const [sn, sc, sh, sw] = v?.strides ?? [];
  const aligned =
    v !== undefined &&
    v.dtype === 'f32' &&
    sw === 1 &&
    sh === W &&
    sn! % 4 === 0 &&
    sc! % 4 === 0 &&
    v.offset % 4 === 0;
  if (!ctx.target.software || !aligned || hw % 4 !== 0) {
    const idx = (e: Expr): Expr[] => [
      E.div(e, i32(hw)),
      c,
      E.div(E.mod(e, i32(hw)), i32(W)),
      E.mod(E.mod(e, i32(hw)), i32(W)),
    ];
    return { count: N * hw, width: 1, idx, load: (e, bound) => [x.at(bound?.[0] ?? idx(e))] };
  }
  const per = hw / 4;
  const buf = ctx.bind(v, 'vec4f');
  return {
    count: N * per,
    width: 4,
    idx: (e, j) => {
      const k = E.add(E.mul(E.mod(e, i32(per)), i32(4)), i32(j));
      return [E.div(e, i32(per)), c, E.div(k, i32(W)), E.mod(k, i32(W))];
    },
    load: (e) => {
      const at = E.add(
        E.add(E.mul(E.div(e, i32(per)), i32(sn! / 4)), E.add(E.mul(c, i32(sc! / 4)), i32(v.offset / 4))),
        E.mod(e, i32(per)),
      );
      const x4 = b.let(E.load(buf, 'vec4f', at), 'x4');
      return [0, 1, 2, 3].map((j) => E.lane(x4, j));
    },
  };
}

/** Σ of `terms` in order: the unit's share of a sum. */
const sumOf = (terms: readonly Expr[]): Expr => terms.reduce((a, t) => E.add(a, t));

/** Per-channel batch statistics of x [N, C, H, W] in a workgroup per channel: mean, Σ(x − mean)² and 1/σ. */
function channelStats(
  ctx: AnchorCtx,
  x: Accessor,
  c: Expr,
  sh: string,
  eps: number,
): { mean: Expr; q: Expr; inv: Expr; units: ChannelUnits; count: number } {
  const { b } = ctx;
  const units = channelUnits(ctx, x, c);
  const count = units.count * units.width;
  const mean = b.let(
    E.div(
      workgroupSum(b, sh, WG, units.count, (e) => sumOf(units.load(e))),
      f32(count),
    ),
    'mean',
  );
  const q = b.let(
    workgroupSum(b, sh, WG, units.count, (e) =>
      sumOf(
        units.load(e).map((xv) => {
          const d = b.let(E.sub(xv, mean), 'd');
          return E.mul(d, d);
        }),
      ),
    ),
    'q',
  );
  const inv = b.let(E.div(f32(1), E.sqrt(E.add(E.div(q, f32(count)), f32(eps)))), 'inv');
  return { mean, q, inv, units, count };
}

/**
 * Every element of the channel, a unit at a time: `f(idx, xv)` with the element's index and its
 * value of x (loaded once per unit).
 */
function eachElement(
  b: AnchorCtx['b'],
  units: ChannelUnits,
  each: (count: number, f: (e: Expr) => void) => void,
  f: (idx: Expr[], xv: Expr) => void,
): void {
  each(units.count, (e) => {
    const idx = Array.from({ length: units.width }, (_, j) => units.idx(e, j).map((v) => b.let(v, 'ix')));
    units.load(e, idx).forEach((xv, j) => f(idx[j]!, xv));
  });
}

/** A workgroup per channel; `body` runs for every element of the channel (after the statistics). */
function perChannel(
  ctx: AnchorCtx,
  C: number,
  body: (
    c: Expr,
    sh: string,
    each: (count: number, f: (e: Expr) => void) => void,
    /** Lane 0 of a workgroup that owns a channel (true once per channel), made when asked for. */
    first: () => Expr,
  ) => void,
): void {
  const { b } = ctx;
  const g = groups1d(b, C, WG, ctx.target, ctx.node.name);
  ctx.grid(g.workgroups, g.size);
  const sh = b.shared('f32', WG, 'part');
  const c = b.let(E.min(g.group, i32(C - 1)), 'c');
  const lane = b.let(E.builtin('lid', 0), 'lane');
  const live = b.let(E.lt(g.group, i32(C)), 'live');
  body(
    c,
    sh,
    (count, f) =>
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
    () => b.let(E.and(live, E.eq(lane, i32(0))), 'first'),
  );
}

const bnNormalizeTraining: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    perChannel(ctx, x.shape[1]!, (c, sh, each) => {
      const st = channelStats(ctx, x, c, sh, ctx.attrs['eps'] as number);
      eachElement(ctx.b, st.units, each, (idx, xv) => ctx.emit(0, idx, E.mul(E.sub(xv, st.mean), st.inv)));
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

/**
 * A channel's statistics of x, then Σ g and Σ g·x̂ in one pass over g and x (the same sums as
 * two passes, each read once): what both training-mode backward kernels start with.
 */
function gradSums(
  ctx: AnchorCtx,
  g: Accessor,
  x: Accessor,
  c: Expr,
  sh: string,
): { st: ReturnType<typeof channelStats>; sg: Expr; sgx: Expr } {
  const { b } = ctx;
  const st = channelStats(ctx, x, c, sh, ctx.attrs['eps'] as number);
  const [sg, sgx] = workgroupSums(
    b,
    sh,
    WG,
    st.units.count,
    (e) => {
      const terms = st.units.load(e).map((xv, j) => {
        const gv = b.let(g.at(st.units.idx(e, j)), 'gv');
        return [gv, E.mul(gv, E.mul(E.sub(xv, st.mean), st.inv))] as const;
      });
      return [sumOf(terms.map((t) => t[0])), sumOf(terms.map((t) => t[1]))];
    },
    2,
  );
  return { st, sg: sg!, sgx: sgx! };
}

const bnGradTraining: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, x] = ctx.inputs as [Accessor, Accessor];
    const { b } = ctx;
    perChannel(ctx, x.shape[1]!, (c, sh, each) => {
      const { st, sg, sgx } = gradSums(ctx, g, x, c, sh);
      const mg = b.let(E.div(sg, f32(st.count)), 'mg');
      const mgx = b.let(E.div(sgx, f32(st.count)), 'mgx');
      eachElement(b, st.units, each, (idx, xv) => {
        const xh = E.mul(E.sub(xv, st.mean), st.inv);
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

/**
 * batchnorm2d_grad: the input, weight and bias gradients of an affine batchnorm with batch
 * statistics in one kernel, a workgroup per channel: the statistics (two passes over x), Σ g
 * and Σ g·x̂ (one pass over g and x), then dx (one more); lane 0 writes dw = Σ g·x̂ and db = Σ g.
 * Four kernels did this before (x̂, its product with g summed, Σ g, the input gradient), each
 * recomputing the statistics or reading g again.
 */
export const batchnormGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, x, , w] = ctx.inputs as [Accessor, Accessor, Accessor, Accessor];
    const { b } = ctx;
    perChannel(ctx, x.shape[1]!, (c, sh, each, first) => {
      const { st, sg, sgx } = gradSums(ctx, g, x, c, sh);
      const tg = b.let(sg, 'sg');
      const tgx = b.let(sgx, 'sgx');
      const mg = b.let(E.div(tg, f32(st.count)), 'mg');
      const mgx = b.let(E.div(tgx, f32(st.count)), 'mgx');
      const scale = b.let(E.mul(w.at([c]), st.inv), 'scale');
      eachElement(b, st.units, each, (idx, xv) => {
        const xh = E.mul(E.sub(xv, st.mean), st.inv);
        ctx.emit(0, idx, E.mul(scale, E.sub(E.sub(g.at(idx), mg), E.mul(xh, mgx))));
      });
      b.if(first(), () => {
        ctx.emit(1, [c], tgx);
        ctx.emit(2, [c], tg);
      });
    });
  },
};

export const batchnormGradInput = {
  byMode: (_t: boolean, n: { attrs: Readonly<Record<string, unknown>> }) =>
    n.attrs['training'] ? bnGradTraining : bnGradInference,
};
