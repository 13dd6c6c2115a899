import type { IrBuilder, OpDef } from './types.js';
import type { ValueId } from '../ir/types.js';
import { axisOf, int, out0, props } from './helpers.js';
import { normAxis } from '../ir/shape.js';
import { aroundAxis, type Tensor } from '../reference/tensor.js';
import type { EvalCtx } from './types.js';

/** Softmax (or log-softmax) of `x` along `axis`, stably: exp(x − max) / Σ exp(x − max). */
export function softmaxEval(x: Tensor, axis: number, log: boolean, ctx: EvalCtx): Tensor {
  const y = ctx.alloc(x.shape);
  const [outer, n, inner] = aroundAxis(x.shape, normAxis(axis, x.shape.length)!);
  const e = new Float64Array(n);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x.data[base + k * inner]!);
      let s = 0;
      for (let k = 0; k < n; k++) s += e[k] = Math.exp(x.data[base + k * inner]! - m);
      const ls = Math.log(s);
      for (let k = 0; k < n; k++) y.data[base + k * inner] = log ? x.data[base + k * inner]! - m - ls : e[k]! / s;
    }
  return y;
}

/**
 * softmax along `axis`, computed stably: max, subtract, exp, sum, divide — 5 FLOPs per element.
 */
export const softmax: OpDef = {
  name: 'softmax',
  kind: 'reduction',
  props: props(),
  doc: 'Softmax along an axis (default the last).',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'axis', type: 'int', default: -1 },
  ],
  infer([x], a) {
    axisOf(int(a, 'axis'), x!, 'softmax');
    return [x!];
  },
  cost: (c) => ({ macs: 0, flops: 5 * out0(c) }),
  eval: ([x], a, ctx) => [softmaxEval(x!, int(a, 'axis'), false, ctx)],
  // The Jacobian diag(y) − y·yᵀ is symmetric: VJP and JVP are y ⊙ (v − Σ(y ⊙ v)) alike.
  vjp: (b, n, [g], needs) => [needs[0] && g ? softmaxJ(b, n.outputs[0]!, g, int(n.attrs, 'axis')) : null],
  jvp: (b, n, [t]) => [t ? softmaxJ(b, n.outputs[0]!, t, int(n.attrs, 'axis')) : null],
};

function softmaxJ(b: IrBuilder, y: ValueId, v: ValueId, axis: number): ValueId {
  const s = b.op1('sum', [b.op1('mul', [v, y])], { axes: [axis], keepdim: true });
  return b.op1('mul', [y, b.op1('sub', [v, s])]);
}
