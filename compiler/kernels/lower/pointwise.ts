// Pointwise lowerings: elementwise arithmetic with NumPy broadcasting, activations and their
// derivatives (act_grad, act_grad2: g·f′(x) and g·f″(x)), constants, and the gathers that are
// not strided views (pad, concat). An activation is lowered from its one definition in the
// scalar language (compiler/ops/pointwise/), its value and its derivatives alike. The fuser
// inlines all of these into the kernel that consumes them, or into the epilogue of the kernel
// that feeds them.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import { KernelError, type Accessor, type PointCtx, type PointwiseLowering } from '../lowering.js';
import { normAxis } from '../../ir/shape.js';
import type { BinaryRule, UnaryRule } from '../../ops/helpers.js';
import type { Activation, Rule } from '../../ops/pointwise/fn.js';
import { pointwiseFn } from '../../ops/pointwise/index.js';
import type { Scalar } from '../../reference/scalar.js';

const { f32, i32 } = E;

/** The index of `a` (broadcast to `out`) for output index `idx`: right-aligned, dims of 1 → 0. */
export function broadcastIdx(a: readonly number[], out: readonly number[], idx: readonly Expr[]): Expr[] {
  const lead = out.length - a.length;
  return a.map((d, i) => (d === 1 && out[i + lead] !== 1 ? i32(0) : idx[i + lead]!));
}

const at = (a: Accessor, out: readonly number[], idx: readonly Expr[]): Expr => a.at(broadcastIdx(a.shape, out, idx));

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
    log: E.log,
    sqrt: E.sqrt,
    abs: (x) => E.call('abs', x),
    pow: (x, y) => E.call('pow', x, y),
    max: E.max,
    min: E.min,
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

/** g·f′(x) or g·f″(x) for the pointwise function the node names (compiler/ops/pointwise/). */
function derivative(order: 'df' | 'd2f'): PointwiseLowering {
  return {
    kind: 'pointwise',
    elementwise: true,
    at: (c, idx) => {
      const fn = pointwiseFn(c.attrs['fn'] as string);
      if (!fn) throw new KernelError(`${c.node.name}: no pointwise function ${String(c.attrs['fn'])}`);
      // g is read before x is bound: the order the kernel's statements come out in.
      const g = c.inputs[0]!.at(idx);
      return E.mul(
        g,
        applyRule(c, fn[order], c.b.let(c.inputs[1]!.at(idx), 'x'), c.attrs['params'] as readonly number[]),
      );
    },
  };
}

export const actGrad = derivative('df');
export const actGrad2 = derivative('d2f');

/** A broadcasting binary op, from its rule in the scalar language (compiler/ops/<op>.ts). */
export function binaryOp(rule: BinaryRule): PointwiseLowering {
  return {
    kind: 'pointwise',
    elementwise: true,
    at: (c, idx) =>
      rule(kernelScalar(c), at(c.inputs[0]!, c.outShapes[0]!, idx), at(c.inputs[1]!, c.outShapes[0]!, idx)),
  };
}

/** A unary op, from its rule: the input is bound to a name once (the rule may use it several times). */
export function unaryOp(rule: UnaryRule): PointwiseLowering {
  return {
    kind: 'pointwise',
    elementwise: true,
    at: (c, idx) => rule(kernelScalar(c), c.b.let(c.inputs[0]!.at(idx), 'x')),
  };
}
export const zeroOp: PointwiseLowering = { kind: 'pointwise', elementwise: true, cheap: true, at: () => zero };

export const constant: PointwiseLowering = {
  kind: 'pointwise',
  cheap: true,
  at: (c) => f32(c.attrs['value'] as number),
  uniform: (n) => n.attrs['value'] as number,
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

/** where(cond, a, b): a where cond is not 0, b elsewhere, all three broadcast. */
export const where: PointwiseLowering = {
  kind: 'pointwise',
  elementwise: true,
  at: (c, idx) => {
    const out = c.outShapes[0]!;
    const [cond, a, b] = c.inputs as [Accessor, Accessor, Accessor];
    const zero = cond.dtype === 'i32' ? i32(0) : f32(0);
    return E.sel(E.ne(at(cond, out, idx), zero), at(a, out, idx), at(b, out, idx));
  },
};
