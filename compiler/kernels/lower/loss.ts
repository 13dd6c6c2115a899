// Losses and their gradients. The losses reduce a whole batch to one number: one workgroup
// whose lanes split the rows and sum in workgroup memory (deterministic order). The gradient of
// cross-entropy is a lane per row (log-sum-exp again, then softmax − target); the gradient of
// the mean squared error is pointwise, fused into whatever consumes it.
import * as E from '../expr.js';
import type { Accessor, KernelLowering, PointwiseLowering } from '../lowering.js';
import { NEG_INF, WG, perElement, workgroupSum } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

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
