// Small factories and accessors shared by op definitions, so each op file states only what is
// particular to it.
import { broadcastShapes, formatShape, isSym, normAxis } from '../ir/shape.js';
import type { Attrs, Dim, Shape, TensorType } from '../ir/types.js';
import { numel } from '../ir/shape.js';
import { opError, type OpDef, type OpKind } from './types.js';

export const int = (a: Attrs, k: string): number => a[k] as number;
export const num = (a: Attrs, k: string): number => a[k] as number;
export const bool = (a: Attrs, k: string): boolean => a[k] as boolean;
export const str = (a: Attrs, k: string): string => a[k] as string;
export const pair = (a: Attrs, k: string): [number, number] => a[k] as unknown as [number, number];
export const ints = (a: Attrs, k: string): number[] => a[k] as unknown as number[];

export const out0 = (c: { outputs: readonly (readonly number[])[] }): number => numel(c.outputs[0]!);

/** Require a number for a dim the op must know (channels, features), naming what it is. */
export function known(d: Dim, what: string, shape: Shape): number {
  if (isSym(d)) opError('MDL4007', `${what} of input ${formatShape(shape)} is the symbolic dimension ${d}; it must be a number`);
  return d;
}

export function requireRank(x: TensorType, r: number, op: string, layout: string): void {
  if (x.shape.length !== r)
    opError('MDL4008', `${op} expects a rank-${r} input ${layout}, got ${formatShape(x.shape)} (rank ${x.shape.length})`);
}

export function axisOf(axis: number, x: TensorType, op: string): number {
  const a = normAxis(axis, x.shape.length);
  if (a === undefined)
    opError('MDL4003', `${op}: axis ${axis} is out of range for input ${formatShape(x.shape)} of rank ${x.shape.length}`);
  return a;
}

/** An elementwise unary op: same shape out, `flopsPerElement` per output element. */
export function unary(name: string, kind: OpKind, doc: string, flopsPerElement: number, extra: OpDef['args'] = []): OpDef {
  return {
    name,
    kind,
    doc,
    args: [{ name: 'x', type: 'tensor' }, ...extra],
    infer: ([x]) => [x!],
    cost: (c) => ({ macs: 0, flops: flopsPerElement * out0(c) }),
  };
}

/** A broadcasting binary op (NumPy rules); one FLOP per output element. */
export function binary(name: string, doc: string): OpDef {
  return {
    name,
    kind: 'elementwise',
    doc,
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
  };
}

/** The output size of a sliding window (conv or pool), as PyTorch computes it. */
export function windowOut(inp: number, k: number, stride: number, pad: number, dilation: number, ceil = false): number {
  const span = inp + 2 * pad - dilation * (k - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}
