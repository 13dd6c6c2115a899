// Dropout and the mask autodiff applies to its gradient. Both draw the same Philox words
// (runtime/random), keyed by the forward node's name, so the backward pass drops exactly the
// elements the forward pass dropped without storing a mask, and both match the interpreter
// bit for bit. Pointwise: fused into whatever consumes them.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { PointCtx, PointwiseLowering } from '../lowering.js';
import { fnv1a } from '../../../runtime/random/philox.js';

const { f32, i32 } = E;
const zero = f32(0);

/**
 * Inverted dropout. Training: element i is kept unless word (i mod 4) of Philox block ⌊i/4⌋ of
 * stream (seed, fnv1a(key)) at counter word 1 = step is below p·2³², exactly the interpreter's
 * mask (compared as integers, so no rounding differs). Inference: the identity.
 */
export function dropoutExpr(c: PointCtx, x: Expr, flat: Expr, p: number, key: string): Expr {
  if (!c.training || p === 0) return x;
  const { seed, step } = c.rng();
  const word = E.call(
    'philox_word',
    E.cast('u32', E.div(flat, i32(4))),
    step,
    seed,
    E.u32(fnv1a(key)),
    E.cast('u32', E.mod(flat, i32(4))),
  );
  const threshold = Math.ceil(p * 4294967296);
  const keep = threshold >= 4294967296 ? E.bool(false) : E.ge(word, E.u32(threshold));
  return E.sel(keep, E.mul(x, f32(1 / (1 - p))), zero);
}

export const dropout: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const flat = E.linear(idx, E.contiguousStrides(c.outShapes[0]!));
    return dropoutExpr(c, c.inputs[0]!.at(idx), flat, c.attrs['p'] as number, c.node.name);
  },
};

export const dropoutMask: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const flat = E.linear(idx, E.contiguousStrides(c.outShapes[0]!));
    return dropoutExpr(
      { ...c, training: true },
      c.inputs[0]!.at(idx),
      flat,
      c.attrs['p'] as number,
      c.attrs['key'] as string,
    );
  },
};
