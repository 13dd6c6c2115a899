// Inference-time dropout (the Rashomon exploration's noise, compiler/ops/internal/
// inference_dropout.ts). Pointwise and elementwise: fused into the epilogue of the convolution or
// linear layer whose output it perturbs. Each element reads its row's keys and rate and draws the
// same Philox word as the interpreter; the Bernoulli keep test compares integers, so the mask is
// the interpreter's bit for bit; the Gaussian draw evaluates the same erfinv polynomial in float32.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { PointwiseLowering } from '../lowering.js';
import { fnv1a } from '../../../runtime/random/philox.js';
import { ERFINV_CENTRAL, ERFINV_TAIL, TWO32 } from '../../ops/internal/inference_dropout.js';

const { f32, i32, u32 } = E;

/** Horner's rule over coefficients given highest degree first. */
function horner(c: readonly number[], w: Expr): Expr {
  let p = f32(c[0]!);
  for (let i = 1; i < c.length; i++) p = E.add(f32(c[i]!), E.mul(p, w));
  return p;
}

export const inferenceDropout: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const [x, keys, rates] = c.inputs;
    const shape = c.outShapes[0]!;
    const n = shape.slice(1).reduce((a, d) => a * d, 1);
    const row = idx[0]!;
    const e = E.linear(idx.slice(1), E.contiguousStrides(shape.slice(1)));
    const key = (k: number) => E.cast('u32', keys!.at([row, i32(k)]));
    const block = E.add(E.mul(key(2), u32(Math.ceil(n / 4))), E.cast('u32', E.div(e, i32(4))));
    const word = c.b.memo(
      `inference_dropout:${c.attrs['key'] as string}:${E.keyOf(row)}:${E.keyOf(e)}`,
      () =>
        E.call(
          'philox_word',
          block,
          key(1),
          key(0),
          u32(fnv1a(c.attrs['key'] as string)),
          E.cast('u32', E.mod(e, i32(4))),
        ),
      'w',
    );
    const rate = rates!.at([row, i32(0)]);
    const v = x!.at(idx);
    if (c.attrs['kind'] === 'bernoulli') {
      const threshold = E.cast('u32', E.call('ceil', E.mul(rate, f32(TWO32))));
      return E.sel(E.ge(word, threshold), E.mul(v, rates!.at([row, i32(1)])), f32(0));
    }
    // z = (2k + 1 − 2²³)/2²³ from the top 23 bits: exact in float32.
    const k = E.cast('i32', E.bin('>>', word, u32(9)));
    const z = c.b.let(E.mul(E.cast('f32', E.sub(E.add(E.mul(k, i32(2)), i32(1)), i32(8388608))), f32(2 ** -23)), 'z');
    const w = c.b.let(E.neg(E.call('log', E.mul(E.sub(f32(1), z), E.add(f32(1), z)))), 'lw');
    const central = horner(ERFINV_CENTRAL, E.sub(w, f32(2.5)));
    const tail = horner(ERFINV_TAIL, E.sub(E.call('sqrt', w), f32(3)));
    const xi = E.mul(E.mul(f32(Math.SQRT2), E.sel(E.lt(w, f32(5)), central, tail)), z);
    return E.mul(v, E.add(f32(1), E.mul(rate, xi)));
  },
};
