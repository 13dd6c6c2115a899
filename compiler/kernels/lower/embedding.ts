// Embedding lookups and their weight gradient. The lookup is pointwise (an element reads one
// element of the table, fused into its consumer); the gradient is a gather from the table's
// side: each row element sums the gradients of the positions whose id names the row, so no two
// lanes write one element (a loop over every position: fine for the small tables of the models
// here).
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { KernelLowering, PointwiseLowering } from '../lowering.js';
import { perElement } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

export const embedding: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const [ids, w] = c.inputs as [(typeof c.inputs)[number], (typeof c.inputs)[number]];
    const num = w.shape[0]!;
    const id = c.b.let(ids.at(idx.slice(0, -1)), 'id');
    const ok = E.and(E.ge(id, i32(0)), E.lt(id, i32(num)));
    return E.sel(ok, w.at([E.call('clamp', id, i32(0), i32(num - 1)), idx[idx.length - 1]!]), f32(0));
  },
};

export const embeddingGrad: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const [g, ids] = ctx.inputs as [(typeof ctx.inputs)[number], (typeof ctx.inputs)[number]];
    const [num, dim] = ctx.outShapes[0]! as [number, number];
    const P = prod(ids.shape);
    const { b } = ctx;
    perElement(ctx, num * dim, (id) => {
      const r = b.let(E.div(id, i32(dim)), 'r');
      const d = b.let(E.mod(id, i32(dim)), 'd');
      const acc = b.var(f32(0), 'acc');
      b.for(
        i32(0),
        i32(P),
        (p) => {
          const at = E.unflatten(p, ids.shape) as Expr[];
          b.set(acc, E.sel(E.eq(ids.at(at), r), g.at([...at, d]), f32(0)), '+');
        },
        1,
        'p',
      );
      ctx.emit(0, [r, d], E.ref(acc, 'f32'));
    });
  },
};
