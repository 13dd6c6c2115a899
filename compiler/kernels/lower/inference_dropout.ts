// Inference-time dropout (the Rashomon exploration's noise, compiler/ops/internal/
// inference_dropout.ts). Pointwise and elementwise: it joins the kernel of the layer whose output
// it perturbs (the GEMM's epilogue, or the kernel that reads a convolution's output where the
// activation is), so it adds no kernel. Each element reads its row's keys and rate and computes
// the interpreter's Threefry2x32-20 word in straight-line u32 code, once per block (elements of
// one block in one scope share it); the Bernoulli keep test compares integers, so the mask is the
// interpreter's bit for bit; the Gaussian draw evaluates the same erfinv polynomial in float32.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { PointCtx, PointwiseLowering } from '../lowering.js';
import { fnv1a } from '../../../runtime/random/philox.js';
import {
  ERFINV_CENTRAL,
  ERFINV_TAIL,
  THREEFRY_PARITY,
  THREEFRY_ROTATIONS,
  THREEFRY_ROUNDS,
  TWO32,
} from '../../ops/internal/inference_dropout.js';

const { f32, i32, u32 } = E;

/** Horner's rule over coefficients given highest degree first. */
function horner(c: readonly number[], w: Expr): Expr {
  let p = f32(c[0]!);
  for (let i = 1; i < c.length; i++) p = E.add(f32(c[i]!), E.mul(p, w));
  return p;
}

/** Threefry2x32-20 of counter (c0, c1) and key (k0, k1), as let-bound u32 code: the two words. */
function threefry(c: PointCtx, c0: Expr, c1: Expr, k0: Expr, k1: Expr): [Expr, Expr] {
  const b = c.b;
  const ks = [k0, k1, b.let(E.bin('^', E.bin('^', k0, k1), u32(THREEFRY_PARITY)), 'ks')];
  let x0 = b.let(E.add(c0, ks[0]!), 'tf');
  let x1 = b.let(E.add(c1, ks[1]!), 'tf');
  for (let r = 0; r < THREEFRY_ROUNDS; r++) {
    const n = THREEFRY_ROTATIONS[r % 8]!;
    x0 = b.let(E.add(x0, x1), 'tf');
    x1 = b.let(E.bin('^', E.bin('|', E.bin('<<', x1, u32(n)), E.bin('>>', x1, u32(32 - n))), x0), 'tf');
    if (r % 4 === 3) {
      const j = (r + 1) / 4;
      x0 = b.let(E.add(x0, ks[j % 3]!), 'tf');
      x1 = b.let(E.add(x1, E.add(ks[(j + 1) % 3]!, u32(j))), 'tf');
    }
  }
  return [x0, x1];
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
    const stream = c.attrs['key'] as string;
    const block = E.add(E.mul(key(2), u32(Math.ceil(n / 2))), E.cast('u32', E.div(e, i32(2))));
    // Both words of the block, computed once per scope for every element of the block.
    const memoKey = `inference_dropout:${stream}:${E.keyOf(row)}:${E.keyOf(block)}`;
    let second: Expr | undefined;
    const first = c.b.memo(
      `${memoKey}:0`,
      () => {
        const [w0, w1] = threefry(c, block, key(1), key(0), u32(fnv1a(stream)));
        second = c.b.memo(`${memoKey}:1`, () => w1, 'w');
        return w0;
      },
      'w',
    );
    second ??= c.b.memo(`${memoKey}:1`, () => {
      throw new Error('inference_dropout: the second word of a block was not kept');
    });
    const word = E.sel(E.eq(E.mod(e, i32(2)), i32(0)), first, second);
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
