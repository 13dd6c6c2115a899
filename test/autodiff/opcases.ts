// Random cases for every differentiable op: input shapes, attributes and how to fill the
// inputs, as fast-check arbitraries. Used by the finite-difference properties of VJP and JVP.
import fc from 'fast-check';
import type { AttrValue } from '../../compiler/ir/types.js';
import { POINTWISE_NAMES, pointwiseFn } from '../../compiler/ops/pointwise/index.js';

/** How an input is filled: normal(0, s); distinct values (no near-ties, for max pooling); positive; away from 0; class labels. */
export type Fill = 'normal' | 'distinct' | 'positive' | 'awayZero' | 'labels';

export interface InputSpec {
  readonly shape: number[];
  readonly fill?: Fill;
  /** For labels: the number of classes. */
  readonly classes?: number;
  /** Keep values this far from these points (activation kinks). */
  readonly kinks?: readonly number[];
  /** Scale of normal values. */
  readonly scale?: number;
}

export interface OpCase {
  readonly inputs: InputSpec[];
  readonly attrs: Record<string, AttrValue>;
  readonly training?: boolean;
  /** Input indices (data then parameters) not differentiated (batchnorm's running statistics). */
  readonly nondiff?: readonly number[];
  /** Parameter fills, in the op's parameter order (appended after the data inputs). */
  readonly params?: readonly InputSpec[];
}

const dim = (max = 4, min = 1) => fc.integer({ min, max });
const shape = (minRank: number, maxRank: number, maxDim = 4) =>
  fc.array(dim(maxDim), { minLength: minRank, maxLength: maxRank });

/** Two shapes that broadcast: suffixes of one shape with some dims set to 1. */
const broadcastPair = shape(1, 3).chain((out) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: out.length - 1 }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.integer({ min: 0, max: out.length - 1 }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([da, ma, db, mb]) => {
      const mk = (drop: number, mask: boolean[]) => out.slice(drop).map((d, i) => (mask[i + drop] ? 1 : d));
      return [mk(da, ma), mk(db, mb)] as const;
    }),
);

const binaryCase = (fillB: Fill = 'normal') =>
  broadcastPair.map(([a, b]): OpCase => ({ inputs: [{ shape: a }, { shape: b, fill: fillB }], attrs: {} }));
const unaryCase = (kinks: number[] = [], scale = 1) =>
  shape(1, 3).map((s): OpCase => ({ inputs: [{ shape: s, kinks, scale }], attrs: {} }));
const axisOf = (r: number) => fc.integer({ min: -r, max: r - 1 });

/** A valid pooling configuration on [N, C, H, W]; `dil` adds dilation (max pooling). */
const poolCase = (dil: boolean) =>
  fc
    .record({
      n: dim(2),
      c: dim(2),
      h: dim(7, 2),
      w: dim(7, 2),
      kh: dim(3),
      kw: dim(3),
      stride: fc.option(fc.tuple(dim(3), dim(3)), { nil: null }),
      ph: fc.integer({ min: 0, max: 1 }),
      pw: fc.integer({ min: 0, max: 1 }),
      dh: dil ? dim(2) : fc.constant(1),
      dw: dil ? dim(2) : fc.constant(1),
      ceil: fc.boolean(),
      cip: fc.boolean(),
    })
    .filter((r) => {
      const effH = r.dh * (r.kh - 1) + 1;
      const effW = r.dw * (r.kw - 1) + 1;
      return (
        r.ph <= Math.floor(effH / 2) && r.pw <= Math.floor(effW / 2) && r.h + 2 * r.ph >= effH && r.w + 2 * r.pw >= effW
      );
    });

const maxpoolAttrs = (r: {
  kh: number;
  kw: number;
  stride: [number, number] | null;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  ceil: boolean;
}) => ({
  kernel: [r.kh, r.kw],
  stride: r.stride,
  padding: [r.ph, r.pw],
  dilation: [r.dh, r.dw],
  ceil_mode: r.ceil,
});
const avgAttrs = (r: {
  kh: number;
  kw: number;
  stride: [number, number] | null;
  ph: number;
  pw: number;
  ceil: boolean;
  cip: boolean;
}) => ({
  kernel: [r.kh, r.kw],
  stride: r.stride,
  padding: [r.ph, r.pw],
  ceil_mode: r.ceil,
  count_include_pad: r.cip,
});

/** PyTorch's pooled size (see compiler/ops/helpers.ts poolOut). */
function poolOut(inp: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = inp + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= inp + p) o--;
  return o;
}

/** A valid convolution: input, weight and output shapes and attributes. */
const convCase = fc
  .record({
    n: dim(2),
    groups: dim(2),
    cpg: dim(2),
    opg: dim(2),
    h: dim(6, 1),
    w: dim(6, 1),
    kh: dim(3),
    kw: dim(3),
    sh: dim(2),
    sw: dim(2),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
    dh: dim(2),
    dw: dim(2),
    bias: fc.boolean(),
  })
  .map((r) => {
    const ho = Math.floor((r.h + 2 * r.ph - r.dh * (r.kh - 1) - 1) / r.sh) + 1;
    const wo = Math.floor((r.w + 2 * r.pw - r.dw * (r.kw - 1) - 1) / r.sw) + 1;
    const c = r.groups * r.cpg;
    const o = r.groups * r.opg;
    return {
      ...r,
      ho,
      wo,
      x: [r.n, c, r.h, r.w],
      wt: [o, r.cpg, r.kh, r.kw],
      y: [r.n, o, ho, wo],
      geo: { stride: [r.sh, r.sw], padding: [r.ph, r.pw], dilation: [r.dh, r.dw], groups: r.groups },
      attrs: {
        out: o,
        kernel: [r.kh, r.kw],
        stride: [r.sh, r.sw],
        padding: [r.ph, r.pw],
        dilation: [r.dh, r.dw],
        groups: r.groups,
        bias: r.bias,
      },
    };
  })
  .filter((r) => r.ho > 0 && r.wo > 0);

/** Python's slice length. */
function sliceLen(n: number, start: number, end: number | null, step: number): number {
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clamp(start);
  const e = end === null ? n : clamp(end);
  return e > s ? Math.ceil((e - s) / step) : 0;
}

const sliceCase = shape(1, 3, 5).chain((s) =>
  fc
    .record({
      axis: axisOf(s.length),
      start: fc.integer({ min: -5, max: 5 }),
      end: fc.option(fc.integer({ min: -5, max: 6 }), { nil: null }),
      step: dim(3),
    })
    .map((a) => ({ s, a, ax: a.axis < 0 ? a.axis + s.length : a.axis }))
    .filter(({ s, a, ax }) => sliceLen(s[ax]!, a.start, a.end, a.step) > 0),
);

export const OP_CASES: Readonly<Record<string, fc.Arbitrary<OpCase>>> = {
  // compute
  conv2d: convCase.map((r) => ({ inputs: [{ shape: r.x }], attrs: r.attrs })),
  conv_transpose2d: fc
    .record({
      n: dim(2),
      groups: dim(2),
      cpg: dim(2),
      opg: dim(2),
      h: dim(4),
      w: dim(4),
      kh: dim(3),
      kw: dim(3),
      sh: dim(3),
      sw: dim(2),
      ph: fc.integer({ min: 0, max: 1 }),
      pw: fc.integer({ min: 0, max: 1 }),
      oph: fc.integer({ min: 0, max: 2 }),
      dh: dim(2),
      dw: dim(2),
      bias: fc.boolean(),
    })
    .filter((r) => r.oph < r.sh && (r.h - 1) * r.sh - 2 * r.ph + r.dh * (r.kh - 1) + r.oph + 1 > 0)
    .filter((r) => (r.w - 1) * r.sw - 2 * r.pw + r.dw * (r.kw - 1) + 1 > 0)
    .map((r) => ({
      inputs: [{ shape: [r.n, r.groups * r.cpg, r.h, r.w] }],
      attrs: {
        out: r.groups * r.opg,
        kernel: [r.kh, r.kw],
        stride: [r.sh, r.sw],
        padding: [r.ph, r.pw],
        output_padding: [r.oph, 0],
        dilation: [r.dh, r.dw],
        groups: r.groups,
        bias: r.bias,
      },
    })),
  linear: fc
    .record({ lead: shape(0, 2, 3), fin: dim(4), out: dim(4), bias: fc.boolean() })
    .map((r) => ({ inputs: [{ shape: [...r.lead, r.fin] }], attrs: { out: r.out, bias: r.bias } })),
  matmul: fc.record({ batch: broadcastPair, m: dim(3), k: dim(3), n: dim(3), useBatch: fc.boolean() }).map((r) => {
    const [ba, bb] = r.useBatch ? r.batch : [[], []];
    return { inputs: [{ shape: [...ba, r.m, r.k] }, { shape: [...bb, r.k, r.n] }], attrs: {} };
  }),
  // elementwise
  add: binaryCase(),
  sub: binaryCase(),
  mul: binaryCase(),
  div: binaryCase('awayZero'),
  neg: unaryCase(),
  // cond: a 0/1 mask (labels of two classes), not differentiated
  where: fc.tuple(broadcastPair, fc.boolean()).map(([[a, b], onA]) => ({
    inputs: [{ shape: onA ? a : b, fill: 'labels' as const, classes: 2 }, { shape: a }, { shape: b }],
    attrs: {},
  })),
  // activations
  relu: unaryCase([0], 2),
  relu6: unaryCase([0, 6], 4),
  gelu: fc
    .tuple(shape(1, 3), fc.constantFrom('none', 'tanh'))
    .map(([s, approximate]) => ({ inputs: [{ shape: s, scale: 2 }], attrs: { approximate } })),
  silu: unaryCase([], 2),
  sigmoid: unaryCase([], 2),
  tanh: unaryCase([], 2),
  hardswish: unaryCase([-3, 3], 3),
  hardsigmoid: unaryCase([-3, 3], 3),
  elu: fc
    .tuple(shape(1, 3), fc.double({ min: 0.1, max: 2, noNaN: true }))
    .map(([s, alpha]) => ({ inputs: [{ shape: s, kinks: [0], scale: 2 }], attrs: { alpha } })),
  leaky_relu: fc
    .tuple(shape(1, 3), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([s, negative_slope]) => ({ inputs: [{ shape: s, kinks: [0], scale: 2 }], attrs: { negative_slope } })),
  softplus: fc.tuple(shape(1, 3), fc.constantFrom(1, 0.5, 2), fc.constantFrom(20, 1)).map(([s, beta, threshold]) => ({
    inputs: [{ shape: s, scale: 2, kinks: [threshold / beta] }],
    attrs: { beta, threshold },
  })),
  // elementwise functions (pointwise/)
  exp: unaryCase([], 2),
  // log and sqrt away from their clamp at 0 (below it they are flat)
  log: shape(1, 3).map((s) => ({ inputs: [{ shape: s, fill: 'positive' as const }], attrs: {} })),
  sqrt: shape(1, 3).map((s) => ({ inputs: [{ shape: s, fill: 'positive' as const }], attrs: {} })),
  abs: unaryCase([0], 2),
  pow: fc.tuple(shape(1, 3), fc.constantFrom(1, 2, 3, 4, 0.5, 1.5, 2.5)).map(([s, exponent]) => ({
    inputs: [{ shape: s, fill: Number.isInteger(exponent) ? ('awayZero' as const) : ('positive' as const) }],
    attrs: { exponent },
  })),
  clamp: fc
    .tuple(shape(1, 3), fc.option(fc.constantFrom(-1, -0.5, 0), { nil: null }), fc.constantFrom(null, 0.5, 1))
    .filter(([, lo, hi]) => lo !== null || hi !== null)
    .map(([s, min, max]) => ({ inputs: [{ shape: s, scale: 2, kinks: [min ?? 0, max ?? 0] }], attrs: { min, max } })),
  softmax: shape(1, 3).chain((s) =>
    axisOf(s.length).map((axis) => ({ inputs: [{ shape: s, scale: 2 }], attrs: { axis } })),
  ),
  log_softmax: shape(1, 3).chain((s) =>
    axisOf(s.length).map((axis) => ({ inputs: [{ shape: s, scale: 2 }], attrs: { axis } })),
  ),
  // normalisation
  batchnorm2d: fc
    .record({
      n: dim(3),
      c: dim(3),
      h: dim(3),
      w: dim(3),
      affine: fc.boolean(),
      training: fc.boolean(),
      eps: fc.constantFrom(1e-5, 0.1),
      momentum: fc.constantFrom(0.1, 0.5),
      frozen: fc.boolean(),
    })
    .filter((r) => r.n * r.h * r.w >= 2)
    // 'distinct' inputs keep the batch variance away from 0, where finite differences lose accuracy
    .map((r) => {
      const stats = [{ shape: [r.c] }, { shape: [r.c], fill: 'positive' as const }];
      const affine = r.affine ? [{ shape: [r.c] }, { shape: [r.c] }] : [];
      const base = r.affine ? 3 : 1;
      return {
        inputs: [{ shape: [r.n, r.c, r.h, r.w], fill: 'distinct' as const, scale: 5 }],
        attrs: { eps: r.eps, momentum: r.momentum, affine: r.affine, freeze_stats: r.frozen },
        training: r.training,
        params: [...affine, ...stats],
        nondiff: [base, base + 1],
      };
    }),
  layernorm: fc
    .record({ lead: shape(0, 2, 3), d: dim(5, 2), affine: fc.boolean(), eps: fc.constantFrom(1e-5, 1e-6, 0.1) })
    .map((r) => ({
      inputs: [{ shape: [...r.lead, r.d], fill: 'distinct' as const, scale: 5 }],
      attrs: { eps: r.eps, affine: r.affine },
    })),
  groupnorm: fc
    .record({
      n: dim(2),
      groups: dim(3),
      cg: dim(2),
      space: shape(0, 2, 3),
      affine: fc.boolean(),
      eps: fc.constantFrom(1e-5, 0.1),
    })
    .filter((r) => r.cg * r.space.reduce((p, d) => p * d, 1) >= 2)
    .map((r) => ({
      inputs: [{ shape: [r.n, r.groups * r.cg, ...r.space], fill: 'distinct' as const, scale: 5 }],
      attrs: { groups: r.groups, eps: r.eps, affine: r.affine },
    })),
  // pooling and reductions
  maxpool2d: poolCase(true).map((r) => ({
    inputs: [{ shape: [r.n, r.c, r.h, r.w], fill: 'distinct' as const }],
    attrs: maxpoolAttrs(r),
  })),
  avgpool2d: poolCase(false).map((r) => ({ inputs: [{ shape: [r.n, r.c, r.h, r.w] }], attrs: avgAttrs(r) })),
  global_avgpool: fc
    .tuple(shape(4, 4, 3), fc.boolean())
    .map(([s, keepdim]) => ({ inputs: [{ shape: s }], attrs: { keepdim } })),
  adaptive_avgpool2d: fc
    .record({ n: dim(2), c: dim(2), oh: dim(3), ow: dim(3), kh: dim(3), kw: dim(3) })
    .map((r) => ({ inputs: [{ shape: [r.n, r.c, r.oh * r.kh, r.ow * r.kw] }], attrs: { size: [r.oh, r.ow] } })),
  adaptive_maxpool2d: fc.record({ n: dim(2), c: dim(2), oh: dim(3), ow: dim(3), kh: dim(3), kw: dim(3) }).map((r) => ({
    inputs: [{ shape: [r.n, r.c, r.oh * r.kh, r.ow * r.kw], fill: 'distinct' as const }],
    attrs: { size: [r.oh, r.ow] },
  })),
  upsample: fc
    .record({
      n: dim(2),
      c: dim(2),
      h: dim(4),
      w: dim(4),
      sh: dim(3),
      sw: dim(3),
      mode: fc.constantFrom('nearest', 'bilinear'),
      ac: fc.boolean(),
    })
    .map((r) => ({
      inputs: [{ shape: [r.n, r.c, r.h, r.w] }],
      attrs: { scale: [r.sh, r.sw], mode: r.mode, align_corners: r.mode === 'bilinear' && r.ac },
    })),
  mean: shape(1, 4, 3).chain((s) =>
    fc.tuple(fc.shuffledSubarray([...s.keys()], { minLength: 1 }), fc.boolean()).map(([axes, keepdim]) => ({
      inputs: [{ shape: s }],
      attrs: { axes: axes.map((a) => (a % 2 ? a - s.length : a)), keepdim },
    })),
  ),
  sum: shape(1, 4, 3).chain((s) =>
    fc
      .tuple(fc.shuffledSubarray([...s.keys()], { minLength: 1 }), fc.boolean())
      .map(([axes, keepdim]) => ({ inputs: [{ shape: s }], attrs: { axes, keepdim } })),
  ),
  // layout
  flatten: shape(1, 4, 3).chain((s) =>
    fc
      .tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 0, max: s.length - 1 }))
      .map(([a, b]) => ({ inputs: [{ shape: s }], attrs: { start: Math.min(a, b), end: Math.max(a, b) - s.length } })),
  ),
  reshape: shape(1, 3).chain((s) =>
    fc
      .tuple(
        fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }),
        fc.integer({ min: -1, max: s.length - 1 }),
      )
      .map(([t, hole]) => ({
        inputs: [{ shape: s }],
        attrs: { shape: t.map((d, i) => (i === hole ? -1 : d)) },
      })),
  ),
  transpose: shape(2, 4, 3).chain((s) =>
    fc
      .tuple(axisOf(s.length), axisOf(s.length))
      .map(([dim0, dim1]) => ({ inputs: [{ shape: s }], attrs: { dim0, dim1 } })),
  ),
  permute: shape(1, 4, 3).chain((s) =>
    fc
      .shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length })
      .map((dims) => ({ inputs: [{ shape: s }], attrs: { dims } })),
  ),
  concat: shape(1, 3).chain((s) =>
    fc.tuple(axisOf(s.length), fc.array(dim(3), { minLength: 1, maxLength: 3 })).map(([axis, sizes]) => {
      const ax = axis < 0 ? axis + s.length : axis;
      return { inputs: sizes.map((n) => ({ shape: s.map((d, i) => (i === ax ? n : d)) })), attrs: { axis } };
    }),
  ),
  slice: sliceCase.map(({ s, a }) => ({ inputs: [{ shape: s }], attrs: a })),
  select: shape(1, 3).chain((s) =>
    axisOf(s.length).chain((axis) => {
      const d = s[axis < 0 ? axis + s.length : axis]!;
      return fc.integer({ min: -d, max: d - 1 }).map((index) => ({ inputs: [{ shape: s }], attrs: { axis, index } }));
    }),
  ),
  split: shape(1, 3).chain((s) =>
    axisOf(s.length).chain((axis) => {
      const d = s[axis < 0 ? axis + s.length : axis]!;
      const divisors = [...Array(d).keys()].map((i) => i + 1).filter((k) => d % k === 0);
      const parts = fc.constantFrom(...divisors).map((k) => [k]);
      const sizes = fc.array(dim(3), { minLength: 2, maxLength: 3 });
      return fc.oneof(
        parts.map((sections) => ({ inputs: [{ shape: s }], attrs: { sections, axis } })),
        sizes.map((sections) => ({
          inputs: [
            {
              shape: s.map((x, i) =>
                i === (axis < 0 ? axis + s.length : axis) ? sections.reduce((p, q) => p + q, 0) : x,
              ),
            },
          ],
          attrs: { sections, axis },
        })),
      );
    }),
  ),
  unsqueeze: shape(0, 3).chain((s) =>
    fc.integer({ min: -(s.length + 1), max: s.length }).map((axis) => ({ inputs: [{ shape: s }], attrs: { axis } })),
  ),
  squeeze: shape(0, 3).chain((s) =>
    fc
      .integer({ min: 0, max: s.length })
      .map((at) => ({ inputs: [{ shape: [...s.slice(0, at), 1, ...s.slice(at)] }], attrs: { axis: at } })),
  ),
  expand: shape(1, 3).chain((s) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
        shape(0, 2, 3),
        fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
      )
      .map(([ones, lead, keep]) => {
        const src = s.map((d, i) => (ones[i] ? 1 : d));
        return {
          inputs: [{ shape: src }],
          attrs: { shape: [...lead, ...s.map((d, i) => (keep[i] && src[i] === d ? -1 : d))] },
        };
      }),
  ),
  pad: shape(1, 3, 3).chain((s) =>
    fc
      .array(fc.integer({ min: -1, max: 2 }), { minLength: 2, maxLength: 2 * s.length })
      .map((p) => (p.length % 2 ? p.slice(1) : p))
      .filter(
        (p) =>
          p.length > 0 &&
          s.every((d, i) => {
            const k = s.length - 1 - i;
            return k >= p.length / 2 || d + p[2 * k]! + p[2 * k + 1]! > 0;
          }),
      )
      .chain((pads) => fc.constantFrom(0, 1.5).map((value) => ({ inputs: [{ shape: s }], attrs: { pads, value } }))),
  ),
  embedding: fc.record({ lead: shape(1, 2, 3), num: dim(5), d: dim(3) }).map((r) => ({
    inputs: [{ shape: r.lead, fill: 'labels' as const, classes: r.num }],
    attrs: { num: r.num, dim: r.d },
  })),
  gather: fc.record({ lead: shape(0, 2, 3), size: dim(4), l: dim(4), rest: shape(0, 2, 3) }).map((r) => ({
    inputs: [
      { shape: [...r.lead, r.size, ...r.rest] },
      { shape: [...r.lead, r.l], fill: 'labels' as const, classes: r.size },
    ],
    attrs: { axis: r.lead.length },
  })),
  // regularisation and placeholders
  token_mask: fc
    .record({ n: dim(3), l: dim(6), d: dim(3) })
    .chain((r) =>
      fc.integer({ min: 0, max: r.l }).map((keep) => ({ inputs: [{ shape: [r.n, r.l, r.d] }], attrs: { keep } })),
    ),
  dropout: fc
    .tuple(shape(1, 3), fc.constantFrom(0, 0.3, 0.5), fc.boolean())
    .map(([s, p, training]) => ({ inputs: [{ shape: s }], attrs: { p }, training })),
  identity: unaryCase(),
  zero: unaryCase(),
  // anytime networks: the identity on the path (the skip gets no gradient)
  optional: shape(1, 3).map((s): OpCase => ({ inputs: [{ shape: s }, { shape: s }], attrs: {} })),
  exit: unaryCase(),
  // losses
  cross_entropy: fc.record({ n: dim(4), c: dim(5, 2), ls: fc.constantFrom(0, 0.1, 0.3) }).map((r) => ({
    inputs: [
      { shape: [r.n, r.c], scale: 2 },
      { shape: [r.n], fill: 'labels' as const, classes: r.c },
    ],
    attrs: { label_smoothing: r.ls },
  })),
  mse: shape(0, 3).map((s) => ({ inputs: [{ shape: s }, { shape: s }], attrs: {} })),
  // sources
  param: shape(1, 3).map((s) => ({ inputs: [], attrs: { shape: s, init: 'zeros', std: 0.02 } })),
  // internal (backward) ops with derivatives of their own
  conv2d_grad_input: convCase.map((r) => ({
    inputs: [{ shape: r.y }, { shape: r.wt }],
    attrs: { ...r.geo, input_size: [r.h, r.w] },
  })),
  conv2d_grad_weight: convCase.map((r) => ({
    inputs: [{ shape: r.y }, { shape: r.x }],
    attrs: { ...r.geo, kernel: [r.kh, r.kw] },
  })),
  linear_grad_weight: fc
    .record({ lead: shape(0, 2, 3), o: dim(4), i: dim(4) })
    .map((r) => ({ inputs: [{ shape: [...r.lead, r.o] }, { shape: [...r.lead, r.i] }], attrs: {} })),
  sum_to: broadcastPair.map(([a, b]) => {
    const out =
      a.length >= b.length
        ? a.map((d, i) => Math.max(d, b[i - (a.length - b.length)] ?? 1))
        : b.map((d, i) => Math.max(d, a[i - (b.length - a.length)] ?? 1));
    return { inputs: [{ shape: out }], attrs: { shape: a } };
  }),
  reduce_grad: shape(1, 4, 3).chain((s) =>
    fc.tuple(fc.subarray([...s.keys()], { minLength: 1 }), fc.boolean(), fc.boolean()).map(([axes, keepdim, mean]) => {
      const sorted = [...axes].sort((p, q) => p - q);
      const g = s.flatMap((d, i) => (sorted.includes(i) ? (keepdim ? [1] : []) : [d]));
      return { inputs: [{ shape: g }], attrs: { shape: s, axes: sorted, keepdim, mean } };
    }),
  ),
  maxpool2d_grad: poolCase(true).map((r) => {
    const x = [r.n, r.c, r.h, r.w];
    const sh = r.stride ? r.stride[0] : r.kh;
    const sw = r.stride ? r.stride[1] : r.kw;
    const y = [r.n, r.c, poolOut(r.h, r.kh, sh, r.ph, r.dh, r.ceil), poolOut(r.w, r.kw, sw, r.pw, r.dw, r.ceil)];
    return { inputs: [{ shape: y }, { shape: x, fill: 'distinct' as const }], attrs: maxpoolAttrs(r) };
  }),
  maxpool2d_select: poolCase(true).map((r) => ({
    inputs: [{ shape: [r.n, r.c, r.h, r.w] }, { shape: [r.n, r.c, r.h, r.w], fill: 'distinct' as const }],
    attrs: maxpoolAttrs(r),
  })),
  avgpool2d_grad: poolCase(false).map((r) => {
    const sh = r.stride ? r.stride[0] : r.kh;
    const sw = r.stride ? r.stride[1] : r.kw;
    const y = [r.n, r.c, poolOut(r.h, r.kh, sh, r.ph, 1, r.ceil), poolOut(r.w, r.kw, sw, r.pw, 1, r.ceil)];
    return { inputs: [{ shape: y }], attrs: { ...avgAttrs(r), input_size: [r.h, r.w] } };
  }),
  upsample_grad: fc
    .record({
      n: dim(2),
      c: dim(2),
      h: dim(4),
      w: dim(4),
      sh: dim(3),
      sw: dim(3),
      mode: fc.constantFrom('nearest', 'bilinear'),
      ac: fc.boolean(),
    })
    .map((r) => ({
      inputs: [{ shape: [r.n, r.c, r.h * r.sh, r.w * r.sw] }],
      attrs: {
        scale: [r.sh, r.sw],
        mode: r.mode,
        align_corners: r.mode === 'bilinear' && r.ac,
        input_size: [r.h, r.w],
      },
    })),
  embedding_grad: fc.record({ lead: shape(1, 2, 3), num: dim(5), d: dim(3) }).map((r) => ({
    inputs: [{ shape: [...r.lead, r.d] }, { shape: r.lead, fill: 'labels' as const, classes: r.num }],
    attrs: { num: r.num },
  })),
  gather_grad: fc.record({ lead: shape(0, 2, 3), size: dim(4), l: dim(4), rest: shape(0, 2, 3) }).map((r) => ({
    inputs: [
      { shape: [...r.lead, r.l, ...r.rest] },
      { shape: [...r.lead, r.l], fill: 'labels' as const, classes: r.size },
    ],
    attrs: { axis: r.lead.length, size: r.size },
  })),
  slice_grad: sliceCase.map(({ s, a, ax }) => ({
    inputs: [{ shape: s.map((d, i) => (i === ax ? sliceLen(d, a.start, a.end, a.step) : d)) }],
    attrs: { shape: s, ...a },
  })),
  // every pointwise function of the registry, with random positive parameters where it has any
  act_grad: fc.tuple(shape(1, 3), fc.constantFrom(...POINTWISE_NAMES)).chain(([s, fn]) =>
    fc
      .array(fc.double({ min: 0.1, max: 2, noNaN: true }), {
        minLength: pointwiseFn(fn)!.params.length,
        maxLength: pointwiseFn(fn)!.params.length,
      })
      .map((params): OpCase => ({
        inputs: [{ shape: s }, { shape: s, scale: 3, kinks: [0, 6, -3, 3] }],
        attrs: params.length > 0 ? { fn, params } : { fn },
      })),
  ),
  // differentiable in g only (the NTK linearisation's tangent path); x and the statistics are not
  batchnorm2d_grad_input: fc
    .record({ n: dim(3, 1), c: dim(3), h: dim(3), w: dim(3), training: fc.boolean(), eps: fc.constantFrom(1e-5, 0.1) })
    .filter((r) => !r.training || r.n * r.h * r.w > 1)
    .map((r) => ({
      inputs: [
        { shape: [r.n, r.c, r.h, r.w] },
        { shape: [r.n, r.c, r.h, r.w], fill: 'distinct' as const, scale: 3 },
        { shape: [r.c], fill: 'positive' as const },
      ],
      attrs: { eps: r.eps, training: r.training },
      nondiff: [1, 2],
    })),
  // the whole training-mode backward: differentiable in g and the weight, not in x (its statistics)
  batchnorm2d_grad: fc
    .record({ n: dim(3, 1), c: dim(3), h: dim(3), w: dim(3), eps: fc.constantFrom(1e-5, 0.1) })
    .filter((r) => r.n * r.h * r.w > 1)
    .map((r) => ({
      inputs: [
        { shape: [r.n, r.c, r.h, r.w] },
        { shape: [r.n, r.c, r.h, r.w], fill: 'distinct' as const, scale: 3 },
        { shape: [r.c], fill: 'positive' as const },
        { shape: [r.c] },
      ],
      attrs: { eps: r.eps },
      nondiff: [1, 2],
    })),
  layernorm_grad_input: fc.record({ lead: shape(0, 2, 3), d: dim(5, 2), eps: fc.constantFrom(1e-5, 0.1) }).map((r) => ({
    inputs: [{ shape: [...r.lead, r.d] }, { shape: [...r.lead, r.d], fill: 'distinct' as const, scale: 3 }],
    attrs: { eps: r.eps },
    nondiff: [1],
  })),
  dropout_mask: fc
    .tuple(shape(1, 3), fc.constantFrom(0.2, 0.5))
    .map(([s, p]) => ({ inputs: [{ shape: s }], attrs: { p, key: 'layer' } })),
  inference_dropout: fc.tuple(shape(1, 3), fc.constantFrom('bernoulli', 'gaussian')).map(([s, kind]) => ({
    inputs: [
      { shape: s },
      { shape: [s[0]!, 3], fill: 'labels' as const, classes: 1000 },
      { shape: [s[0]!, 2], fill: 'positive' as const, scale: 0.2 },
    ],
    attrs: { kind, key: 'layer' },
    nondiff: [1, 2],
  })),
};
