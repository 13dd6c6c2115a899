import { formatShape, sameShape } from '../../ir/shape.js';
import type { ValueId } from '../../ir/types.js';
import type { IrBuilder, OpDef } from '../types.js';
import { opError } from '../types.js';
import { num, numelOf, requireRank, props } from '../helpers.js';
import { bnStats } from './batchnorm2d_normalize.js';
import { bnGradSums } from './batchnorm2d_grad_input.js';

/**
 * The whole backward of an affine batchnorm2d with batch statistics, as one node: from the
 * output gradient g [N, C, H, W], the input x, the running variance (for its shape only) and
 * the weight w [C], with x̂ = (x − mean)/σ over N, H, W:
 *   dx = w·(1/σ)·(g − mean g − x̂·mean(g x̂)),   dw = Σ g·x̂,   db = Σ g.
 * The three share the channel's statistics and the two sums, so one kernel computes them
 * (kernels/lower/batchnorm.ts); as separate ops (batchnorm2d_grad_input, batchnorm2d_normalize
 * and two sums) they took four kernels that each read x or g again.
 * FLOPs: 9 per element (x̂ twice, the two sums, dx).
 */
export const batchnorm2d_grad: OpDef = {
  name: 'batchnorm2d_grad',
  kind: 'normalization',
  props: props(),
  doc: 'Backward of an affine batchnorm2d in training mode: input, weight and bias gradients.',
  args: [
    { name: 'g', type: 'tensor' },
    { name: 'x', type: 'tensor' },
    { name: 'running_var', type: 'tensor' },
    { name: 'weight', type: 'tensor' },
    { name: 'eps', type: 'float' },
  ],
  infer([g, x, rv, w]) {
    requireRank(x!, 4, 'batchnorm2d_grad', '[N, C, H, W]');
    const c = x!.shape[1];
    if (!sameShape(g!.shape, x!.shape) || rv!.shape[0] !== c || w!.shape.length !== 1 || w!.shape[0] !== c)
      opError(
        'MDL4001',
        `batchnorm2d_grad: g ${formatShape(g!.shape)}, x ${formatShape(x!.shape)}, running_var ${formatShape(rv!.shape)} and weight ${formatShape(w!.shape)} do not fit`,
      );
    return [g!, w!, w!];
  },
  cost: (c) => ({ macs: 0, flops: 9 * numelOf(c.outputs[0]!) }),
  eval([g, x, rv, w], a, ctx) {
    const { mean, inv } = bnStats(x!, rv!, rv!, num(a, 'eps'), true);
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const hw = H * W;
    const count = N * hw;
    const dx = ctx.alloc(x!.shape);
    const dw = ctx.alloc([C]);
    const db = ctx.alloc([C]);
    const sums = bnGradSums(g!, x!, mean, inv);
    for (let c = 0; c < C; c++) {
      const sg = sums.sg[c]!;
      const sgx = sums.sgx[c]!;
      dw.data[c] = sgx;
      db.data[c] = sg;
      const scale = w!.data[c]! * inv[c]!;
      for (let n = 0; n < N; n++)
        for (let k = 0; k < hw; k++) {
          const i = (n * C + c) * hw + k;
          const xh = (x!.data[i]! - mean[c]!) * inv[c]!;
          dx.data[i] = scale * (g!.data[i]! - sg / count - (xh * sgx) / count);
        }
    }
    return [dx, dw, db];
  },
  // Linear in g and in w. In g: dx is w times batchnorm2d_grad_input (self-adjoint), dw and db
  // are sums of g weighted by x̂ and by 1. In w: dx is w times a function of g. The statistics
  // make x a second derivative, not implemented (as for batchnorm2d_grad_input).
  vjp(b, n, [Gdx, Gdw, Gdb], needs) {
    if (needs[1] || needs[2]) throw secondDerivative(n.name);
    const { g, x, rv, w, eps, col } = parts(b, n);
    let dg: ValueId | null = null;
    if (needs[0]) {
      if (Gdx) dg = b.op1('batchnorm2d_grad_input', [b.op1('mul', [Gdx, col(w)]), x, rv], { eps, training: true });
      if (Gdw) dg = b.add(dg, b.op1('mul', [xHat(b, x, rv, eps), col(Gdw)]));
      if (Gdb) dg = b.add(dg, b.expandTo(col(Gdb), b.shape(x)));
    }
    const dwt =
      needs[3] && Gdx
        ? b.op1('sum', [b.op1('mul', [Gdx, b.op1('batchnorm2d_grad_input', [g, x, rv], { eps, training: true })])], {
            axes: [0, 2, 3],
          })
        : null;
    return [dg, null, null, dwt];
  },
  jvp(b, n, [tg, tx, trv, tw]) {
    if (tx || trv) throw secondDerivative(n.name);
    const { g, x, rv, w, eps, col } = parts(b, n);
    let tdx: ValueId | null = null;
    if (tg) tdx = b.op1('mul', [b.op1('batchnorm2d_grad_input', [tg, x, rv], { eps, training: true }), col(w)]);
    if (tw)
      tdx = b.add(tdx, b.op1('mul', [b.op1('batchnorm2d_grad_input', [g, x, rv], { eps, training: true }), col(tw)]));
    const sum = (v: ValueId) => b.op1('sum', [v], { axes: [0, 2, 3] });
    return [tdx, tg ? sum(b.op1('mul', [tg, xHat(b, x, rv, eps)])) : null, tg ? sum(tg) : null];
  },
};

function secondDerivative(name: string): Error {
  return new Error(`${name}: the second derivative of a normalisation with respect to its input is not implemented`);
}

/** The node's inputs and eps, and a [C] value as a [C, 1, 1] column. */
function parts(
  b: IrBuilder,
  n: { readonly inputs: readonly ValueId[]; readonly attrs: Readonly<Record<string, unknown>> },
) {
  const [g, x, rv, w] = n.inputs as [ValueId, ValueId, ValueId, ValueId];
  const C = b.shape(x)[1] as number;
  return { g, x, rv, w, eps: n.attrs['eps'] as number, col: (v: ValueId) => b.reshape(v, [C, 1, 1]) };
}

/** x̂ with batch statistics (the running mean is not read in training mode: the variance stands in for it). */
function xHat(b: IrBuilder, x: ValueId, rv: ValueId, eps: number): ValueId {
  return b.op1('batchnorm2d_normalize', [x, rv, rv], { eps, training: true });
}
