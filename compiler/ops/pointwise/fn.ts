// The contract of a pointwise function (an activation's math), written once in the scalar
// language of compiler/reference/scalar.ts: its value, first and second derivatives, FLOPs and
// algebraic properties. The reference interpreter evaluates the rules on numbers, the kernel
// lowering on WGSL expressions, autodiff differentiates through `act_grad`/`act_grad2`, which
// apply f′ and f″, and the analyses read the properties. An activation op of the language
// (`Activation`) picks one such function, with its numeric parameters, from its attributes.
import type { Attrs } from '../../ir/types.js';
import type { Scalar } from '../../reference/scalar.js';
import type { ArgSpec, OpProps } from '../types.js';

/** One rule of a function at x, with the function's numeric parameters `p`, in any interpretation. */
export type Rule = <T, B>(s: Scalar<T, B>, x: T, p: readonly T[]) => T;

export interface PointwiseFn {
  /** The name derivative nodes carry (`act_grad(g, x) {fn="gelu_tanh"}`). */
  readonly name: string;
  /** Its numeric parameters, in the order the rules receive them (derivative nodes carry their values). */
  readonly params: readonly Param[];
  readonly f: Rule;
  /** f′, with PyTorch's convention at kinks (relu′(0) = 0). */
  readonly df: Rule;
  /** f″ (0 on linear pieces): gradients of gradients go through it. */
  readonly d2f: Rule;
  /** FLOPs per element of f, of g·f′ (act_grad) and of g·f″ (act_grad2). */
  readonly flops: { readonly f: number; readonly df: number; readonly d2f: number };
}

/** An activation op of the language: the function (and its parameters) its attributes choose. */
export interface Activation {
  readonly name: string;
  /**
   * `activation` (the default: a nonlinearity between layers, which std/layers' activation()
   * offers by name) or `elementwise` (arithmetic: exp, log, pow, …).
   */
  readonly kind?: 'activation' | 'elementwise';
  /** One line for `mdl ops` and the language reference. */
  readonly doc: string;
  /** Attributes after the input: numeric parameters and choices. */
  readonly args: readonly ArgSpec[];
  /** Every function `choose` can return: derivative nodes name them. */
  readonly fns: readonly PointwiseFn[];
  choose(attrs: Attrs): { readonly fn: PointwiseFn; readonly params: readonly number[] };
  /** A problem with the attributes' values (pow's exponent must be positive), in words; undefined when none. */
  check?(attrs: Attrs): string | undefined;
  readonly props: OpProps;
}

/** A numeric parameter of a one-function activation (leaky_relu's `negative_slope`). */
export interface Param {
  readonly name: string;
  readonly default: number;
  readonly doc?: string;
}

export interface Simple extends Omit<PointwiseFn, 'params'> {
  readonly doc: string;
  readonly kind?: 'activation' | 'elementwise';
  readonly params?: readonly Param[];
  /** f(0) = 0: zero propagates through it (the functional view of analysis/topology.ts). */
  readonly zeroPreserving: boolean;
  /** f(s·x) = s·f(x) for s > 0 (SynFlow rescales networks made only of such ops). */
  readonly homogeneous: boolean;
}

/** An activation that is one function: its parameters become float arguments, in order. */
export function activation(d: Simple): Activation {
  const params = d.params ?? [];
  const fn: PointwiseFn = { name: d.name, params, f: d.f, df: d.df, d2f: d.d2f, flops: d.flops };
  return {
    name: d.name,
    ...(d.kind ? { kind: d.kind } : {}),
    doc: d.doc,
    args: params.map((p) => ({ name: p.name, type: 'float', default: p.default, ...(p.doc ? { doc: p.doc } : {}) })),
    fns: [fn],
    choose: (a) => ({ fn, params: params.map((p) => a[p.name] as number) }),
    // Elementwise: every channel maps to itself.
    props: {
      zeroPreserving: d.zeroPreserving,
      channelTransparent: true,
      homogeneous: d.homogeneous,
      commutative: false,
    },
  };
}

// Subexpressions several functions share.

/** 1 / (1 + exp(−x)). */
export const sigmoid = <T, B>(s: Scalar<T, B>, x: T): T => s.div(s.lit(1), s.add(s.lit(1), s.exp(s.neg(x))));

/** lo < x < hi. */
export const between = <T, B>(s: Scalar<T, B>, x: T, lo: number, hi: number): B =>
  s.and(s.gt(x, s.lit(lo)), s.lt(x, s.lit(hi)));

/** The smallest normal float32: where log and negative powers stop (0 and below are clamped to it). */
export const TINY = 1.1754943508222875e-38;

/** The largest float32: an open bound (clamp's `none`). */
export const F32_MAX = 3.4028234663852886e38;

/** −1 for x < 0, 1 otherwise. */
export const signOr1 = <T, B>(s: Scalar<T, B>, x: T): T => s.sel(s.lt(x, s.lit(0)), s.lit(-1), s.lit(1));
