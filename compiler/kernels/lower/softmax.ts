// Softmax and log-softmax along an axis: a lane per row, three passes over it (max, sum of
// exponentials, write), so the exponentials never overflow. Their derivatives are composed by
// autodiff from elementwise ops and sums; they need no kernel of their own.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { KernelLowering } from '../lowering.js';
import { normAxis } from '../../ir/shape.js';
import { NEG_INF, perElement } from './schedule.js';

const { i32, f32 } = E;
const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

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
