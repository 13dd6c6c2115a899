// Pointwise lowerings: elementwise arithmetic with NumPy broadcasting, activations, constants,
// dropout (Philox, bit-identical masks to the interpreter's), inference-mode batchnorm, and
// the gathers that are not strided views (pad, concat). The fuser inlines all of these into
// the kernel that consumes them, or into the epilogue of the kernel that feeds them.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { Accessor, PointCtx, PointwiseLowering } from '../lowering.js';
import { fnv1a } from '../../../runtime/random/philox.js';
import { normAxis } from '../../ir/shape.js';
import type { Activation, Rule } from '../../ops/pointwise/fn.js';
import type { Scalar } from '../../reference/scalar.js';

const { f32, i32 } = E;

/** The index of `a` (broadcast to `out`) for output index `idx`: right-aligned, dims of 1 → 0. */
export function broadcastIdx(a: readonly number[], out: readonly number[], idx: readonly Expr[]): Expr[] {
  const lead = out.length - a.length;
  return a.map((d, i) => (d === 1 && out[i + lead] !== 1 ? i32(0) : idx[i + lead]!));
}

const at = (a: Accessor, out: readonly number[], idx: readonly Expr[]): Expr => a.at(broadcastIdx(a.shape, out, idx));

function binary(f: (x: Expr, y: Expr) => Expr): PointwiseLowering {
  return {
    kind: 'pointwise',
    elementwise: true,
    at: (c, idx) => f(at(c.inputs[0]!, c.outShapes[0]!, idx), at(c.inputs[1]!, c.outShapes[0]!, idx)),
  };
}

/** A unary op whose input is bound to a name once (it may appear several times in `f`). */
function unary(f: (x: Expr, c: PointCtx) => Expr): PointwiseLowering {
  return { kind: 'pointwise', elementwise: true, at: (c, idx) => f(c.b.let(c.inputs[0]!.at(idx), 'x'), c) };
}

const zero = f32(0);

/**
 * The scalar language of pointwise functions (compiler/reference/scalar.ts) as kernel
 * expressions: an activation's rules, written once, become WGSL through this. `let` binds a
 * subexpression used twice; tanh is clamped, since WGSL's overflows to NaN beyond |x| ≈ 44
 * (tanh(±15) is ±1 in f32).
 */
export function kernelScalar(c: PointCtx): Scalar<Expr, Expr> {
  return {
    lit: f32,
    add: E.add,
    sub: E.sub,
    mul: E.mul,
    div: E.div,
    neg: E.neg,
    exp: E.exp,
    tanh: (x) => E.tanh(E.call('clamp', x, f32(-15), f32(15))),
    erf: (x) => E.call('erf', x),
    clamp: (x, lo, hi) => E.call('clamp', x, lo, hi),
    gt: E.gt,
    ge: E.ge,
    lt: E.lt,
    le: E.le,
    and: E.and,
    sel: E.sel,
    let: (x, name) => c.b.let(x, name),
  };
}

/** A pointwise function's rule at element `x` of the node's input, with the node's parameters. */
export function applyRule(c: PointCtx, rule: Rule, x: Expr, params: readonly number[]): Expr {
  return rule(kernelScalar(c), x, params.map(f32));
}

/** An activation: its function's value, with the input bound to a name once (the rule may use it several times). */
export function activation(a: Activation): PointwiseLowering {
  return {
    kind: 'pointwise',
    elementwise: true,
    at: (c, idx) => {
      const { fn, params } = a.choose(c.attrs);
      return applyRule(c, fn.f, c.b.let(c.inputs[0]!.at(idx), 'x'), params);
    },
  };
}

export const add = binary(E.add);
export const sub = binary(E.sub);
export const mul = binary(E.mul);
export const div = binary(E.div);
export const neg = unary((x) => E.neg(x));
export const zeroOp: PointwiseLowering = { kind: 'pointwise', elementwise: true, cheap: true, at: () => zero };

export const constant: PointwiseLowering = {
  kind: 'pointwise',
  cheap: true,
  at: (c) => f32(c.attrs['value'] as number),
  uniform: (n) => n.attrs['value'] as number,
};

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

/** Batchnorm with running statistics (inference): a per-channel affine map. */
export const batchnormInference: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const affine = c.attrs['affine'] as boolean;
    const ch = [idx[1]!];
    const [rm, rv] = affine ? [c.inputs[3]!, c.inputs[4]!] : [c.inputs[1]!, c.inputs[2]!];
    const eps = c.attrs['eps'] as number;
    let y = E.mul(E.sub(c.inputs[0]!.at(idx), rm.at(ch)), E.call('inverseSqrt', E.add(rv.at(ch), f32(eps))));
    if (affine) y = E.add(E.mul(y, c.inputs[1]!.at(ch)), c.inputs[2]!.at(ch));
    return y;
  },
};

/** Constant padding (negative pads crop): out-of-input positions read `value`. */
export const pad: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const pads = c.attrs['pads'] as readonly number[];
    const x = c.inputs[0]!;
    const r = x.shape.length;
    let valid: Expr = E.bool(true);
    const src = idx.map((e, i) => {
      const k = r - 1 - i;
      if (k >= pads.length / 2) return e;
      const left = pads[2 * k]!;
      const right = pads[2 * k + 1]!;
      const s = E.sub(e, i32(left));
      if (left > 0) valid = E.and(valid, E.ge(s, i32(0)));
      if (right > 0) valid = E.and(valid, E.lt(s, i32(x.shape[i]!)));
      return s;
    });
    if (E.isLit(valid, true)) return x.at(src);
    const v = c.b.let(valid, 'inb');
    const safe = src.map((s) => E.sel(v, s, i32(0)));
    return E.sel(v, x.at(safe), f32(c.attrs['value'] as number));
  },
};

/** Concatenation along an axis: the input whose segment holds the index. */
export const concat: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const out = c.outShapes[0]!;
    const ax = normAxis(c.attrs['axis'] as number, out.length)!;
    if (c.inputs.length === 1) return c.inputs[0]!.at(idx);
    const dtype = c.inputs[0]!.dtype;
    const r = c.b.var(dtype === 'i32' ? i32(0) : f32(0), 'cat');
    const pos = c.b.let(idx[ax]!, 'p');
    const branch = (k: number, start: number): void => {
      const x = c.inputs[k]!;
      const take = () => c.b.set(r, x.at(idx.map((e, d) => (d === ax ? E.sub(pos, i32(start)) : e))));
      if (k === c.inputs.length - 1) take();
      else c.b.if(E.lt(pos, i32(start + x.shape[ax]!)), take, () => branch(k + 1, start + x.shape[ax]!));
    };
    branch(0, 0);
    return E.ref(r, dtype === 'i32' ? 'i32' : 'f32');
  },
};
