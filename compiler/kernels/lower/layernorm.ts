// Layer normalisation over the last dim and its input gradient: a lane per row, the row's
// statistics by two passes (rowStats), recomputed by the backward kernel rather than stored.
// layernorm_normalize (x̂ without the affine map, which the weight gradients read) is the
// forward kernel given no weight.
import type { KernelBuilder } from '../builder.js';
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { Accessor, KernelLowering } from '../lowering.js';
import { perElement } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

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

/**
 * Group normalisation: layer normalisation of the rows [N, groups, (C/groups)·S] of x, read
 * through a view of x [N, C, …] (a lane per sample and group), then the affine map per channel.
 */
export const groupnorm: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    const [w, bias] = [ctx.inputs[1], ctx.inputs[2]];
    const [N, C, ...space] = x.shape as number[];
    const groups = ctx.attrs['groups'] as number;
    const cg = C! / groups;
    const S = prod(space);
    const eps = ctx.attrs['eps'] as number;
    const { b } = ctx;
    // element k of row (n, g): channel g·cg + k / S, position k % S
    const index = (n: Expr, g: Expr, k: Expr): Expr[] => [
      n,
      E.add(E.mul(g, i32(cg)), E.div(k, i32(S))),
      ...E.unflatten(E.mod(k, i32(S)), space),
    ];
    const rows: Accessor = { shape: [N!, groups, cg * S], dtype: x.dtype, at: ([n, g, k]) => x.at(index(n!, g!, k!)) };
    perElement(ctx, N! * groups, (id) => {
      const { at, mean, inv } = rowStats(b, rows, E.unflatten(id, [N!, groups]), cg * S, eps);
      b.for(
        i32(0),
        i32(cg * S),
        (k) => {
          const [n, g] = at(k) as [Expr, Expr];
          const idx = index(n, g, k);
          let y = E.mul(E.sub(x.at(idx), mean), inv);
          if (w && bias) y = E.add(E.mul(y, w.at([idx[1]!])), bias.at([idx[1]!]));
          ctx.emit(0, idx, y);
        },
        1,
        'k',
      );
    });
  },
};
