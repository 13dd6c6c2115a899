// Small factories and accessors shared by op definitions, so each op file states only what is
// particular to it.
import { broadcastShapes, formatShape, isSym, normAxis } from '../ir/shape.js';
import type { Attrs, AttrValue, Dim, Node, Shape, TensorType, ValueId } from '../ir/types.js';
import { numel } from '../ir/shape.js';
import {
  opError,
  type EvalCtx,
  type IrBuilder,
  type JvpRule,
  type OpDef,
  type OpKind,
  type OpProps,
  type ParamSpec,
  type Tensor,
  type VjpRule,
} from './types.js';
import { NUMBERS, type Scalar } from '../reference/scalar.js';
import { keepShape, map2, sumInto, type ConvGeom, type PoolGeom } from '../reference/kernels.js';

export const int = (a: Attrs, k: string): number => a[k] as number;
export const num = (a: Attrs, k: string): number => a[k] as number;
export const bool = (a: Attrs, k: string): boolean => a[k] as boolean;
export const str = (a: Attrs, k: string): string => a[k] as string;
/** An `int2` attribute as `[h, w]` (a bare number, should one arrive, is used for both). */
export const pair = (a: Attrs, k: string): [number, number] => asPair(a[k]!);
/** An `ints` attribute (a bare number, should one arrive, is a one-element list). */
export const ints = (a: Attrs, k: string): number[] => {
  const v = a[k];
  return typeof v === 'number' ? [v] : [...(v as readonly number[])];
};

/** An algebraic property of an op (OpProps), by the name the op files use. */
export type Prop = 'zero-preserving' | 'channel-transparent' | 'homogeneous' | 'commutative';

/** An op's algebraic properties: those named hold, the others do not (or are not promised). */
export function props(...ps: readonly Prop[]): OpProps {
  return {
    zeroPreserving: ps.includes('zero-preserving'),
    channelTransparent: ps.includes('channel-transparent'),
    homogeneous: ps.includes('homogeneous'),
    commutative: ps.includes('commutative'),
  };
}

export const out0 = (c: { outputs: readonly (readonly number[])[] }): number => numel(c.outputs[0]!);

/**
 * Require a number for a dim the op must know (channels, features), naming what it is; `op`
 * prefixes the message (`conv2d: the channel dimension of input [B, C, 8, 8] is …`).
 */
export function known(d: Dim, what: string, shape: Shape, op?: string): number {
  if (isSym(d))
    opError(
      'MDL4007',
      `${op ? `${op}: ` : ''}${what} of input ${formatShape(shape)} is the symbolic dimension ${d}; it must be a number`,
    );
  return d;
}

export function requireRank(x: TensorType, r: number, op: string, layout: string): void {
  if (x.shape.length !== r)
    opError(
      'MDL4008',
      `${op}: expects a rank-${r} input ${layout}, got ${formatShape(x.shape)} (rank ${x.shape.length})`,
    );
}

export function axisOf(axis: number, x: TensorType, op: string): number {
  const a = normAxis(axis, x.shape.length);
  if (a === undefined)
    opError(
      'MDL4003',
      `${op}: axis ${axis} is out of range for input ${formatShape(x.shape)} of rank ${x.shape.length}`,
    );
  return a;
}

/** The rules an elementwise unary op supplies: its reference evaluation and derivatives. */
export interface UnaryRules {
  eval(inputs: readonly Tensor[], attrs: Attrs, ctx: EvalCtx): Tensor[];
  vjp: VjpRule | null;
  jvp: JvpRule | null;
}

/** An elementwise unary op: same shape out, `flopsPerElement` per output element. */
export function unary(
  name: string,
  kind: OpKind,
  doc: string,
  flopsPerElement: number,
  algebra: OpProps,
  rules: UnaryRules,
  extra: OpDef['args'] = [],
): OpDef {
  return {
    name,
    kind,
    doc,
    props: algebra,
    args: [{ name: 'x', type: 'tensor' }, ...extra],
    infer: ([x]) => [x!],
    cost: (c) => ({ macs: 0, flops: flopsPerElement * out0(c) }),
    ...rules,
  };
}

/** Emits `name(xs…)` — shorthand for derivative rules. */
export const emit = (b: IrBuilder, name: string, ...xs: ValueId[]): ValueId => b.op1(name, xs);

/** The data input `i` of a node. */
export const input = (n: Node, i: number): ValueId => n.inputs[i]!;

/** A unary op's value at one element, in the scalar language (interpreted on numbers and on kernel expressions). */
export type UnaryRule = <T, B>(s: Scalar<T, B>, x: T) => T;

/** A binary op's value at one element, in the scalar language (interpreted on numbers and on kernel expressions). */
export type BinaryRule = <T, B>(s: Scalar<T, B>, x: T, y: T) => T;

/** A broadcasting binary op's value and derivative rules. */
export interface BinaryRules {
  readonly f: BinaryRule;
  readonly vjp: VjpRule;
  readonly jvp: JvpRule;
}

/** An elementwise op whose value is written once in the scalar language: the kernels lower `rule`. */
export interface ScalarOpDef<R> extends OpDef {
  readonly rule: R;
}

/** A broadcasting binary op (NumPy rules); one FLOP per output element. */
export function binary(name: string, doc: string, algebra: OpProps, rules: BinaryRules): ScalarOpDef<BinaryRule> {
  return {
    rule: rules.f,
    name,
    kind: 'elementwise',
    doc,
    props: algebra,
    args: [
      { name: 'a', type: 'tensor' },
      { name: 'b', type: 'tensor' },
    ],
    infer: ([a, b]) => {
      const s = broadcastShapes(a!.shape, b!.shape);
      if (!s)
        opError(
          'MDL4002',
          `${name}: shapes ${formatShape(a!.shape)} and ${formatShape(b!.shape)} cannot be broadcast together`,
          'trailing dimensions must be equal, or one of them 1',
        );
      if (a!.dtype !== b!.dtype) opError('MDL4009', `${name}: dtypes ${a!.dtype} and ${b!.dtype} differ`);
      return [{ shape: s, dtype: a!.dtype }];
    },
    cost: (c) => ({ macs: 0, flops: out0(c) }),
    eval: ([a, b], _attrs, ctx) => [map2(a!, b!, ctx.alloc(ctx.outputs[0]!), (x, y) => rules.f(NUMBERS, x, y))],
    vjp: rules.vjp,
    jvp: rules.jvp,
  };
}

/** The output size of a sliding window (conv or pool), as PyTorch computes it. */
export function windowOut(inp: number, k: number, stride: number, pad: number, dilation: number, ceil = false): number {
  const span = inp + 2 * pad - dilation * (k - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

/** An `int` or `int2` value as a pair, tolerating a bare number (`3` → `[3, 3]`). */
export function asPair(v: AttrValue): [number, number] {
  if (typeof v === 'number') return [v, v];
  const xs = v as readonly number[];
  return [xs[0]!, xs.length > 1 ? xs[1]! : xs[0]!];
}

/** An `int2` argument whose default is `none` (e.g. pooling stride): null → the `fallback` arg. */
export function pairOr(a: Attrs, k: string, fallback: string): [number, number] {
  const v = a[k];
  return v === null || v === undefined ? asPair(a[fallback]!) : asPair(v);
}

/** An `int?` argument: a number, or null for `none`. */
export const intOrNull = (a: Attrs, k: string): number | null => {
  const v = a[k];
  return v === null || v === undefined ? null : (v as number);
};

/** A `shape` argument: numbers and symbolic dims. */
export const shapeArg = (a: Attrs, k: string): Dim[] => [...(a[k] as readonly Dim[])];

/** Require rank ≥ r. */
export function requireMinRank(x: TensorType, r: number, op: string, layout: string): void {
  if (x.shape.length < r)
    opError(
      'MDL4008',
      `${op}: expects an input of rank ≥ ${r} ${layout}, got ${formatShape(x.shape)} (rank ${x.shape.length})`,
    );
}

/**
 * PyTorch's pooling output size (`pooling_output_shape`): like `windowOut`, but in ceil mode
 * the last window must start inside the input or the left padding.
 */
export function poolOut(inp: number, k: number, stride: number, pad: number, dilation: number, ceil: boolean): number {
  let o = windowOut(inp, k, stride, pad, dilation, ceil);
  if (ceil && (o - 1) * stride >= inp + pad) o--;
  return o;
}

/** The element count of a possibly symbolic shape, for messages: `B·784`, `784`, `B·T`. */
export function formatCount(s: Shape): string {
  let n = 1;
  const syms: string[] = [];
  for (const d of s) {
    if (isSym(d)) syms.push(d);
    else n *= d;
  }
  if (syms.length === 0) return String(n);
  return n === 1 ? syms.join('·') : `${syms.join('·')}·${n}`;
}

/** Normalise a list of axes, rejecting out-of-range (MDL4003) and repeated (MDL3006) ones. */
export function axesOf(axes: readonly number[], x: TensorType, op: string): number[] {
  const out = axes.map((ax) => axisOf(ax, x, op));
  const seen = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    if (seen.has(out[i]!))
      opError(
        'MDL3006',
        `${op}: axis ${axes[i]} is repeated in [${axes.join(', ')}] for input ${formatShape(x.shape)}`,
      );
    seen.add(out[i]!);
  }
  return out;
}

/** PyTorch's pool2d shape check and output size; `dilation` absent means 1. */
export function pool2dInfer(op: string, x: TensorType, a: Attrs): TensorType {
  requireRank(x, 4, op, '[N, C, H, W]');
  const [n, c, h, w] = x.shape;
  const [kh, kw] = pair(a, 'kernel');
  const [sh, sw] = pairOr(a, 'stride', 'kernel');
  const [ph, pw] = pair(a, 'padding');
  const [dh, dw] = a['dilation'] === undefined ? [1, 1] : asPair(a['dilation']!);
  const ceil = bool(a, 'ceil_mode');
  if (kh <= 0 || kw <= 0) opError('MDL3006', `${op}: kernel must be positive, got ${kh}×${kw}`);
  if (sh <= 0 || sw <= 0) opError('MDL3006', `${op}: stride must be positive, got ${sh}×${sw}`);
  if (dh <= 0 || dw <= 0) opError('MDL3006', `${op}: dilation must be positive, got ${dh}×${dw}`);
  if (ph < 0 || pw < 0) opError('MDL3006', `${op}: padding must not be negative, got ${ph}×${pw}`);
  const effH = dh * (kh - 1) + 1;
  const effW = dw * (kw - 1) + 1;
  if (ph > Math.floor(effH / 2) || pw > Math.floor(effW / 2))
    opError(
      'MDL3006',
      `${op}: padding ${ph}×${pw} is more than half of the effective ${effH}×${effW} kernel`,
      'padding may be at most half the (dilated) kernel size, as in PyTorch',
    );
  const H = known(h!, 'the height', x.shape, op);
  const W = known(w!, 'the width', x.shape, op);
  const ho = poolOut(H, kh, sh, ph, dh, ceil);
  const wo = poolOut(W, kw, sw, pw, dw, ceil);
  if (ho <= 0 || wo <= 0)
    opError(
      'MDL4004',
      `${op}: a ${kh}×${kw} window (stride ${sh}×${sw}, padding ${ph}×${pw}) does not fit input ${formatShape(x.shape)}; the output would be ${ho}×${wo}`,
      'use a smaller kernel, or more padding',
    );
  return { shape: [n!, c!, ho, wo], dtype: x.dtype };
}

/** An axis reduction (sum, or mean when `isMean`): removes `axes` (or keeps them as 1); one FLOP per input element. */
export function reduction(name: string, doc: string, isMean: boolean, algebra: OpProps): OpDef {
  const axesFor = (n: Node, b: IrBuilder): number[] =>
    ints(n.attrs, 'axes').map((ax) => normAxis(ax, b.shape(n.inputs[0]!).length)!);
  return {
    name,
    kind: 'reduction',
    doc,
    props: algebra,
    args: [
      { name: 'x', type: 'tensor' },
      { name: 'axes', type: 'ints' },
      { name: 'keepdim', type: 'bool', default: false },
    ],
    infer([x], a) {
      const axes = ints(a, 'axes');
      if (axes.length === 0) opError('MDL3006', `${name}: axes must name at least one axis`);
      const set = new Set(axesOf(axes, x!, name));
      const keep = bool(a, 'keepdim');
      const shape: Dim[] = [];
      x!.shape.forEach((d, i) => {
        if (!set.has(i)) shape.push(d);
        else if (keep) shape.push(1);
      });
      return [{ shape, dtype: x!.dtype }];
    },
    cost: (c) => ({ macs: 0, flops: numel(c.inputs[0]!) }),
    eval([x], a, ctx) {
      const axes = ints(a, 'axes').map((ax) => normAxis(ax, x!.shape.length)!);
      const count = axes.reduce((p, ax) => p * x!.shape[ax]!, 1);
      const out = ctx.alloc(ctx.outputs[0]!);
      sumInto(x!.data, x!.shape, keepShape(x!.shape, axes), out.data, isMean ? 1 / count : 1);
      return [out];
    },
    vjp: (b, n, [g], needs) => [
      needs[0] && g
        ? b.op1('reduce_grad', [g], {
            shape: [...b.shape(n.inputs[0]!)],
            axes: axesFor(n, b),
            keepdim: bool(n.attrs, 'keepdim'),
            mean: isMean,
          })
        : null,
    ],
    jvp: (b, n, [t]) => [t ? b.op1(name, [t], n.attrs) : null],
  };
}

/** The geometry of a convolution from its input and output shapes [N, C, H, W] → [N, O, Ho, Wo]. */
export function convGeom(x: readonly number[], y: readonly number[], a: Attrs): ConvGeom {
  const [kh, kw] = pair(a, 'kernel');
  const [sh, sw] = pair(a, 'stride');
  const [ph, pw] = pair(a, 'padding');
  const [dh, dw] = pair(a, 'dilation');
  return {
    N: x[0]!,
    C: x[1]!,
    H: x[2]!,
    W: x[3]!,
    O: y[1]!,
    Ho: y[2]!,
    Wo: y[3]!,
    kh,
    kw,
    sh,
    sw,
    ph,
    pw,
    dh,
    dw,
    groups: int(a, 'groups'),
  };
}

/** The geometry of a pooling window from input and output shapes [N, C, H, W] → [N, C, Ho, Wo]. */
export function poolGeom(x: readonly number[], y: readonly number[], a: Attrs): PoolGeom {
  const [kh, kw] = pair(a, 'kernel');
  const [sh, sw] = pairOr(a, 'stride', 'kernel');
  const [ph, pw] = pair(a, 'padding');
  const [dh, dw] = a['dilation'] === undefined ? [1, 1] : asPair(a['dilation']!);
  return { NC: x[0]! * x[1]!, H: x[2]!, W: x[3]!, Ho: y[2]!, Wo: y[3]!, kh, kw, sh, sw, ph, pw, dh, dw };
}

/** Attributes with the given ones replaced (for a rule that re-emits its own op). */
export const withAttrs = (a: Attrs, over: Readonly<Record<string, AttrValue>>): Record<string, AttrValue> => ({
  ...a,
  ...over,
});

/** A tensor of `shape` of the same element kind as `x` (i32 stays i32). */
export function allocLike(x: Tensor, shape: readonly number[], ctx: EvalCtx): Tensor {
  return x.data instanceof Int32Array ? ctx.allocInt(shape) : ctx.alloc(shape);
}

/** The evaluation of a pure reshape (flatten, reshape, squeeze, unsqueeze): the data, reshaped. */
export function reshapeEval([x]: readonly Tensor[], _a: Attrs, ctx: EvalCtx): Tensor[] {
  const y = allocLike(x!, ctx.outputs[0]!, ctx);
  y.data.set(x!.data);
  return [y];
}

/** The VJP of a pure reshape: the cotangent reshaped back to the input's shape. */
export const reshapeVjp: VjpRule = (b, n, [g], needs) => [needs[0] && g ? b.reshape(g, b.shape(n.inputs[0]!)) : null];

/** The JVP of an op linear in its single input: the op itself, applied to the tangent. */
export const linearJvp: JvpRule = (b, n, [t]) => [t ? b.op1(n.op, [t], n.attrs) : null];

/** The element count of a concrete shape (for cost rules). */
export const numelOf = numel;

/**
 * The ordinary pooling an adaptive pooling of `x` ([N, C, H, W]) to `size` is: when the output
 * size divides the input, torch's adaptive windows are the tiles kernel = stride = input/output.
 */
export function adaptiveGeometry(x: Shape, size: readonly [number, number], op: string): [number, number] {
  const [oh, ow] = size;
  if (oh <= 0 || ow <= 0) opError('MDL3006', `${op}: the output size must be positive, got ${oh}×${ow}`);
  const H = known(x[2]!, 'the height', x, op);
  const W = known(x[3]!, 'the width', x, op);
  if (H % oh !== 0 || W % ow !== 0)
    opError(
      'MDL4010',
      `${op}: the output size ${oh}×${ow} does not divide the input's ${H}×${W}`,
      `mdl supports adaptive pooling to a size that divides the input (then it is pooling with kernel = stride = input / output), such as 1×1`,
    );
  return [H / oh, W / ow];
}

/**
 * An adaptive pooling op (torch.nn.AdaptiveAvgPool2d / AdaptiveMaxPool2d) as the ordinary
 * pooling op `base` with the tiling geometry of `adaptiveGeometry`; `fixed` are base's other
 * attributes. Its evaluation, cost and derivatives are base's, under those attributes (the
 * derivative nodes are base's own backward ops).
 */
export function adaptivePool(name: string, doc: string, base: OpDef, fixed: Attrs): OpDef {
  const attrsOf = (x: Shape, a: Attrs): Attrs => {
    const k = adaptiveGeometry(x, pair(a, 'size'), name);
    return { kernel: k, stride: k, padding: [0, 0], ...fixed };
  };
  return {
    name,
    kind: 'pool',
    doc,
    props: base.props,
    args: [
      { name: 'x', type: 'tensor' },
      { name: 'size', type: 'int2', doc: 'the output height and width (an int: both)' },
    ],
    infer: ([x], a) => {
      requireRank(x!, 4, name, '[N, C, H, W]');
      adaptiveGeometry(x!.shape, pair(a, 'size'), name);
      return [{ shape: [x!.shape[0]!, x!.shape[1]!, ...pair(a, 'size')], dtype: x!.dtype }];
    },
    cost: (c) => base.cost({ ...c, attrs: attrsOf(c.inputs[0]!, c.attrs) }),
    eval: (inputs, a, ctx) => base.eval(inputs, attrsOf(inputs[0]!.shape, a), ctx),
    vjp: (b, n, gs, needs) => base.vjp!(b, { ...n, attrs: attrsOf(b.shape(n.inputs[0]!), n.attrs) }, gs, needs),
    jvp: (b, n, ts) => base.jvp!(b, { ...n, attrs: attrsOf(b.shape(n.inputs[0]!), n.attrs) }, ts),
  };
}

/**
 * A layer's weight and optional bias with PyTorch's default initialisation (nn.Linear, nn.Conv2d,
 * nn.ConvTranspose2d): kaiming-uniform with a = √5 for the weight, uniform ±1/√fan_in for the
 * bias of `out` elements.
 */
export function weightAndBias(weight: readonly number[], fanIn: number, out: number, bias: boolean): ParamSpec[] {
  const ps: ParamSpec[] = [
    { name: 'weight', shape: weight, init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn } },
  ];
  const bound = 1 / Math.sqrt(fanIn);
  if (bias) ps.push({ name: 'bias', shape: [out], init: { kind: 'uniform', low: -bound, high: bound } });
  return ps;
}
