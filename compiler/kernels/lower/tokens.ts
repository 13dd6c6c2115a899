// Token selection: gather (pointwise: an element reads the element its id names, fused into
// its consumer), its adjoint (a gather from x's side: an element sums the gradients of the
// positions whose id names it, so no two lanes write one element), and the random token mask
// of masked autoencoders (a lane per token ranks its Philox word among its sample's, the words
// the interpreter draws, compared as integers, so both pick the same tokens).
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { KernelLowering, PointwiseLowering } from '../lowering.js';
import { fnv1a } from '../../../runtime/random/philox.js';
import { perElement } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

export const gather: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const [x, ids] = c.inputs as [(typeof c.inputs)[number], (typeof c.inputs)[number]];
    const ax = ids.shape.length - 1;
    const size = x.shape[ax]!;
    const t = c.b.let(ids.at(idx.slice(0, ax + 1)), 'id');
    const ok = E.and(E.ge(t, i32(0)), E.lt(t, i32(size)));
    const src = [...idx.slice(0, ax), E.call('clamp', t, i32(0), i32(size - 1)), ...idx.slice(ax + 1)];
    return E.sel(ok, x.at(src), x.dtype === 'i32' ? i32(0) : f32(0));
  },
};

export const gatherGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, ids] = ctx.inputs as [(typeof ctx.inputs)[number], (typeof ctx.inputs)[number]];
    const out = ctx.outShapes[0]!;
    const ax = ids.shape.length - 1;
    const L = ids.shape[ax]!;
    const { b } = ctx;
    perElement(ctx, prod(out), (id) => {
      const idx = E.unflatten(id, out).map((e) => b.let(e, 'ix'));
      const acc = b.var(f32(0), 'acc');
      b.for(
        i32(0),
        i32(L),
        (l) => {
          const hit = E.eq(ids.at([...idx.slice(0, ax), l]), idx[ax]!);
          b.set(acc, E.sel(hit, g.at([...idx.slice(0, ax), l, ...idx.slice(ax + 1)]), f32(0)), '+');
        },
        1,
        'l',
      );
      ctx.emit(0, idx, E.ref(acc, 'f32'));
    });
  },
};

export const tokenMask: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [N, L] = ctx.inputs[0]!.shape as [number, number];
    const keep = ctx.attrs['keep'] as number;
    const key = (ctx.attrs['key'] as string) || ctx.node.name;
    const { seed, step } = ctx.rng();
    const { b } = ctx;
    // word 0 of Philox block (n·L + t, step) of stream (seed, fnv1a(key))
    const word = (block: Expr): Expr =>
      E.call('philox_word', E.cast('u32', block), step, seed, E.u32(fnv1a(key)), E.u32(0));
    perElement(ctx, N * L, (id) => {
      const n = b.let(E.div(id, i32(L)), 'n');
      const t = b.let(E.mod(id, i32(L)), 't');
      const mine = b.let(word(id), 'w');
      const rank = b.var(i32(0), 'rank');
      b.for(
        i32(0),
        i32(L),
        (m) => {
          const w = b.let(word(E.add(E.mul(n, i32(L)), m)), 'wm');
          const before = E.or(E.lt(w, mine), E.and(E.eq(w, mine), E.lt(m, t)));
          b.set(rank, E.sel(before, i32(1), i32(0)), '+');
        },
        1,
        'm',
      );
      const r = E.ref(rank, 'i32');
      ctx.emit(1, [n, t], r);
      ctx.emit(2, [n, t], E.sel(E.lt(r, i32(keep)), f32(0), f32(1)));
      b.if(E.lt(r, i32(keep)), () => ctx.emit(0, [n, r], t));
    });
  },
};
