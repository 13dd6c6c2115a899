// View lowerings: ops whose output is the input re-indexed. On a strided view of a buffer they
// cost nothing (a new offset and strides, no kernel); on a fused expression they re-index it.
// Beside slice, its adjoint slice_grad: not a view (it scatters into zeros) but the same index
// arithmetic read from the output's side, a pointwise gather.
import * as E from '../expr.js';
import type { Expr } from '../ir.js';
import type { Layout, PointCtx, PointwiseLowering, ViewLowering } from '../lowering.js';
import type { Node } from '../../ir/types.js';
import { normAxis } from '../../ir/shape.js';
import { sliceStart } from '../../ops/slice.js';

const { i32, f32 } = E;
type In = Layout & { readonly shape: readonly number[] };

export function isContiguous(l: In): boolean {
  const c = E.contiguousStrides(l.shape);
  return l.shape.every((d, i) => d === 1 || l.strides[i] === c[i]);
}

/** Same elements in the same flat order (reshape, flatten, squeeze, unsqueeze). */
export const reshape: ViewLowering = {
  kind: 'view',
  flat: true,
  layout: (inp, _n, outs, k) =>
    isContiguous(inp) ? { offset: inp.offset, strides: E.contiguousStrides(outs[k]!) } : null,
  at: (c: PointCtx, idx) => {
    const x = c.inputs[0]!;
    const out = c.outShapes[0]!;
    if (sameShape(x.shape, out)) return x.at(idx);
    // Squeeze and unsqueeze only drop or insert a 1: no division needed.
    const xs = x.shape.filter((d) => d !== 1);
    const os = out.filter((d) => d !== 1);
    if (sameShape(xs, os)) {
      const kept = idx.filter((_, i) => out[i] !== 1);
      let j = 0;
      return x.at(x.shape.map((d) => (d === 1 ? i32(0) : kept[j++]!)));
    }
    return x.at(E.unflatten(E.linear(idx, E.contiguousStrides(out)), x.shape));
  },
};

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const identity: ViewLowering = {
  kind: 'view',
  flat: true,
  layout: (inp) => ({ offset: inp.offset, strides: inp.strides }),
  at: (c, idx) => c.inputs[0]!.at(idx),
};

/** A gather whose input index is a permutation/offset of the output index. */
function gatherView(
  layout: (inp: In, n: Node, outs: readonly (readonly number[])[], k: number) => Layout,
  src: (c: PointCtx, idx: readonly Expr[], out: number) => Expr[],
): ViewLowering {
  return { kind: 'view', layout, at: (c, idx, out) => c.inputs[0]!.at(src(c, idx, out)) };
}

function permOf(n: Node, rank: number): number[] {
  if (n.op === 'transpose') {
    const i = normAxis(n.attrs['dim0'] as number, rank)!;
    const j = normAxis(n.attrs['dim1'] as number, rank)!;
    const p = Array.from({ length: rank }, (_, k) => k);
    [p[i], p[j]] = [p[j]!, p[i]!];
    return p;
  }
  return (n.attrs['dims'] as readonly number[]).map((d) => normAxis(d, rank)!);
}

/** transpose and permute: output dim i is input dim perm[i]. */
export const permute = gatherView(
  (inp, n) => ({ offset: inp.offset, strides: permOf(n, inp.shape.length).map((p) => inp.strides[p]!) }),
  (c, idx) => {
    const perm = permOf(c.node, idx.length);
    const src = new Array<Expr>(idx.length);
    perm.forEach((p, i) => (src[p] = idx[i]!));
    return src;
  },
);

function sliceArgs(n: Node, inShape: readonly number[]): { ax: number; start: number; step: number } {
  const ax = normAxis(n.attrs['axis'] as number, inShape.length)!;
  return { ax, start: sliceStart(inShape[ax]!, n.attrs['start'] as number), step: n.attrs['step'] as number };
}

export const slice = gatherView(
  (inp, n) => {
    const { ax, start, step } = sliceArgs(n, inp.shape);
    return {
      offset: inp.offset + start * inp.strides[ax]!,
      strides: inp.strides.map((s, i) => (i === ax ? s * step : s)),
    };
  },
  (c, idx) => {
    const { ax, start, step } = sliceArgs(c.node, c.inputs[0]!.shape);
    return idx.map((e, i) => (i === ax ? E.add(E.mul(e, i32(step)), i32(start)) : e));
  },
);

/** The adjoint of a slice: g scattered into zeros, as a gather from the output's side. */
export const sliceGrad: PointwiseLowering = {
  kind: 'pointwise',
  at: (c, idx) => {
    const out = c.outShapes[0]!;
    const g = c.inputs[0]!;
    const ax = normAxis(c.attrs['axis'] as number, out.length)!;
    const s = sliceStart(out[ax]!, c.attrs['start'] as number);
    const step = c.attrs['step'] as number;
    const len = g.shape[ax]!;
    const d = c.b.let(E.sub(idx[ax]!, i32(s)), 'd');
    let ok = E.and(E.ge(d, i32(0)), E.lt(d, i32(len * step)));
    if (step > 1) ok = E.and(ok, E.eq(E.mod(E.max(d, i32(0)), i32(step)), i32(0)));
    const okv = c.b.let(ok, 'in');
    const gi = idx.map((e, i) => (i === ax ? E.sel(okv, E.div(E.max(d, i32(0)), i32(step)), i32(0)) : e));
    return E.sel(okv, g.at(gi), f32(0));
  },
};

function selectArgs(n: Node, inShape: readonly number[]): { ax: number; index: number } {
  const ax = normAxis(n.attrs['axis'] as number, inShape.length)!;
  const index = n.attrs['index'] as number;
  return { ax, index: index < 0 ? index + inShape[ax]! : index };
}

export const select = gatherView(
  (inp, n) => {
    const { ax, index } = selectArgs(n, inp.shape);
    return { offset: inp.offset + index * inp.strides[ax]!, strides: inp.strides.filter((_, i) => i !== ax) };
  },
  (c, idx) => {
    const { ax, index } = selectArgs(c.node, c.inputs[0]!.shape);
    return [...idx.slice(0, ax), i32(index), ...idx.slice(ax)];
  },
);

/** Broadcast: new leading dims and grown dims of 1 have stride 0. */
export const expand = gatherView(
  (inp, _n, outs) => {
    const out = outs[0]!;
    const lead = out.length - inp.shape.length;
    return {
      offset: inp.offset,
      strides: out.map((d, i) => (i < lead ? 0 : inp.shape[i - lead] === 1 && d !== 1 ? 0 : inp.strides[i - lead]!)),
    };
  },
  (c, idx) => {
    const x = c.inputs[0]!.shape;
    const lead = idx.length - x.length;
    return x.map((d, i) => (d === 1 ? i32(0) : idx[i + lead]!));
  },
);

function splitStart(n: Node, outs: readonly (readonly number[])[], k: number): { ax: number; start: number } {
  const ax = normAxis(n.attrs['axis'] as number, outs[0]!.length)!;
  let start = 0;
  for (let j = 0; j < k; j++) start += outs[j]![ax]!;
  return { ax, start };
}

export const split = gatherView(
  (inp, n, outs, k) => {
    const { ax, start } = splitStart(n, outs, k);
    return { offset: inp.offset + start * inp.strides[ax]!, strides: inp.strides };
  },
  (c, idx, out) => {
    const { ax, start } = splitStart(c.node, c.outShapes, out);
    return idx.map((e, i) => (i === ax ? E.add(e, i32(start)) : e));
  },
);
