// Sums and means over axes, and their adjoints: reduce_grad broadcasts the gradient back (a
// pointwise gather, fused into its consumer) and sum_to undoes broadcasting (a reduction again).
// A reduction's input may be a fused expression (a prologue): the kernel evaluates it where it
// reads it. Which schedule — a lane or a workgroup per output — depends on the adapter and the
// shape (reduceAxes).
import * as E from '../expr.js';
import { groups1d } from '../grid.js';
import type { Expr } from '../ir.js';
import type { Accessor, AnchorCtx, KernelLowering, PointwiseLowering } from '../lowering.js';
import { normAxis } from '../../ir/shape.js';
import { WG, perElement, workgroupSum } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

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

/** The adjoint of sum/mean over axes: g broadcast back to the input's shape (÷ count for a mean). */
export const reduceGrad: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const out = c.outShapes[0]!;
    const axes = (c.attrs['axes'] as readonly number[]).map((a) => normAxis(a, out.length)!);
    const g = c.inputs[0]!;
    const gi =
      g.shape.length === out.length
        ? idx.map((e, i) => (axes.includes(i) ? i32(0) : e))
        : idx.filter((_, i) => !axes.includes(i));
    const v = g.at(gi);
    return c.attrs['mean'] ? E.mul(v, f32(1 / axes.reduce((p, a) => p * out[a]!, 1))) : v;
  },
};

/** x summed down to a shape it broadcasts to (undoing broadcasting). */
export const sumTo: KernelLowering = {
  kind: 'kernel',
  buffers: () => [],
  build(ctx) {
    const x = ctx.inputs[0]!;
    const out = ctx.outShapes[0]!;
    const lead = x.shape.length - out.length;
    const axes = x.shape.map((_, i) => i).filter((i) => i < lead || (out[i - lead] === 1 && x.shape[i] !== 1));
    if (axes.length === 0) {
      perElement(ctx, prod(out), (id) => {
        const idx = E.unflatten(id, out);
        ctx.emit(0, idx, x.at(idx.slice(-x.shape.length)));
      });
      return;
    }
    reduceAxes(ctx, x, axes, 1);
  },
};
