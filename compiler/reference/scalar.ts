// The scalar language pointwise functions are written in (compiler/ops/pointwise/): each
// activation's value and derivatives are written once, against this interface, and interpreted
// twice — on numbers here (the reference evaluation, in float64 or rounded to float32 by the
// interpreter) and on kernel expressions by the WGSL lowering (compiler/kernels/lower/pointwise.ts)
// — so the CPU oracle and the GPU kernels cannot drift apart. `T` is a value, `B` a condition.
import { erf } from './erf.js';

export interface Scalar<T, B> {
  lit(v: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  neg(a: T): T;
  exp(a: T): T;
  /** Natural logarithm; callers keep a > 0 (a kernel's log of 0 or less is not defined). */
  log(a: T): T;
  /** Square root; callers keep a ≥ 0. */
  sqrt(a: T): T;
  abs(a: T): T;
  /** a to the power b; callers keep a ≥ 0, and b > 0 where a may be 0 (WGSL's pow is undefined elsewhere). */
  pow(a: T, b: T): T;
  max(a: T, b: T): T;
  min(a: T, b: T): T;
  /** tanh; a target may guard it (WGSL's overflows to NaN for large |x|). */
  tanh(a: T): T;
  erf(a: T): T;
  clamp(a: T, lo: T, hi: T): T;
  gt(a: T, b: T): B;
  ge(a: T, b: T): B;
  lt(a: T, b: T): B;
  le(a: T, b: T): B;
  and(a: B, b: B): B;
  /** c ? a : b (a kernel evaluates both sides). */
  sel(c: B, a: T, b: T): T;
  /** Names a subexpression used more than once (a kernel binds it to a `let`; numbers are already values). */
  let(a: T, name: string): T;
}

/** The reference interpretation: plain double-precision arithmetic. */
export const NUMBERS: Scalar<number, boolean> = {
  lit: (v) => v,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  tanh: Math.tanh,
  erf,
  clamp: (a, lo, hi) => Math.min(Math.max(a, lo), hi),
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  and: (a, b) => a && b,
  sel: (c, a, b) => (c ? a : b),
  let: (a) => a,
};
