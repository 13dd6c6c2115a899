// Shape helpers shared by the op registry and the analyses.
import type { Dim, Shape, TensorType } from './types.js';

export function isSym(d: Dim): d is string {
  return typeof d === 'string';
}

export function formatShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function rank(s: Shape): number {
  return s.length;
}

/** Normalise a possibly negative axis; returns undefined when out of range. */
export function normAxis(axis: number, r: number): number | undefined {
  const a = axis < 0 ? axis + r : axis;
  return a >= 0 && a < r ? a : undefined;
}

export function sameDim(a: Dim, b: Dim): boolean {
  return a === b;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The same tensor type: dtype and shape (often the very same object, which is checked first). */
export function sameType(a: TensorType, b: TensorType): boolean {
  return a === b || (a.dtype === b.dtype && sameShape(a.shape, b.shape));
}

/** Substitute symbolic dims by numbers; throws if a symbol is unbound (a caller bug). */
export function concrete(s: Shape, bind: Readonly<Record<string, number>>): number[] {
  return s.map((d) => {
    if (typeof d === 'number') return d;
    const v = bind[d];
    if (v === undefined) throw new Error(`unbound symbolic dimension ${d}`);
    return v;
  });
}

/** The product of a shape's known dims (a symbolic dim counts as 1): an element count to check. */
export function knownElements(s: Shape): number {
  let n = 1;
  for (const d of s) if (typeof d === 'number') n *= d;
  return n;
}

export function numel(s: readonly number[]): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

/** Row-major (contiguous) strides of a shape, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * NumPy broadcasting on possibly symbolic shapes. Returns undefined when the shapes are
 * incompatible. A symbol broadcasts only against 1 or the same symbol, because its value is
 * unknown until analysis time.
 */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else return undefined;
  }
  return out;
}
