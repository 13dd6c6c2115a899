// Dense tensors for the reference interpreter, and the index helpers op `eval` rules share.
// Data is row-major. Float tensors hold Float64Array (float64 runs) or Float32Array (float32
// runs: storing into the array rounds to the nearest float32); i32 tensors hold Int32Array.
import { contiguousStrides as stridesOf, numel as size } from '../ir/shape.js';

/** The element count and row-major strides of a shape: the IR's helpers, as the interpreter names them. */
export { size, stridesOf };

export type TensorData = Float64Array | Float32Array | Int32Array;

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export type Precision = 'f64' | 'f32';

export function floatArray(n: number, precision: Precision): Float64Array | Float32Array {
  return precision === 'f32' ? new Float32Array(n) : new Float64Array(n);
}

/** A float tensor of `shape` holding `values` (rounded to float32 for an f32 run). */
export function tensor(shape: readonly number[], values: ArrayLike<number>, precision: Precision = 'f64'): Tensor {
  const n = size(shape);
  if (values.length !== n)
    throw new Error(`tensor: ${values.length} values for shape [${shape.join(', ')}] (${n} elements)`);
  const data = floatArray(n, precision);
  for (let i = 0; i < n; i++) data[i] = values[i]!;
  return { shape: [...shape], data };
}

/** An i32 tensor (class labels). */
export function intTensor(shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = size(shape);
  if (values.length !== n) throw new Error(`intTensor: ${values.length} values for shape [${shape.join(', ')}]`);
  return { shape: [...shape], data: Int32Array.from(values as ArrayLike<number>) };
}

/** The same values at another precision (i32 tensors are returned as they are). */
export function withPrecision(t: Tensor, precision: Precision): Tensor {
  if (t.data instanceof Int32Array) return t;
  if (precision === 'f32' ? t.data instanceof Float32Array : t.data instanceof Float64Array) return t;
  return tensor(t.shape, t.data, precision);
}

/** Splits `shape` at `axis` into [outer, n, inner] for loops along one axis. */
export function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/**
 * For NumPy broadcasting of `from` to `to`: the flat index into `from` of every flat index of
 * `to` (dims of `from` align to the right; a dim of 1 repeats).
 */
export function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array {
  const n = size(to);
  const map = new Int32Array(n);
  const r = to.length;
  const lead = r - from.length;
  const fs = stridesOf(from);
  // stride in `from` per dim of `to` (0 where broadcast)
  const st = to.map((d, i) => (i < lead || from[i - lead] === 1 ? 0 : fs[i - lead]!));
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    map[k] = off;
    for (let i = r - 1; i >= 0; i--) {
      idx[i]!++;
      off += st[i]!;
      if (idx[i]! < to[i]!) break;
      off -= st[i]! * to[i]!;
      idx[i] = 0;
    }
  }
  return map;
}

/**
 * A strided view read: for output index (i_0..i_r), reads `src` at base + Σ i_k·strides[k].
 * The building block of transpose, permute, slice, select, split and concat.
 */
export function gather(
  src: TensorData,
  dst: TensorData,
  shape: readonly number[],
  base: number,
  strides: readonly number[],
  dstBase = 0,
  dstStrides?: readonly number[],
): void {
  const r = shape.length;
  const n = size(shape);
  const ds = dstStrides ?? stridesOf(shape);
  const idx = new Array<number>(r).fill(0);
  let s = base;
  let d = dstBase;
  for (let k = 0; k < n; k++) {
    dst[d] = src[s]!;
    for (let i = r - 1; i >= 0; i--) {
      idx[i]!++;
      s += strides[i]!;
      d += ds[i]!;
      if (idx[i]! < shape[i]!) break;
      s -= strides[i]! * shape[i]!;
      d -= ds[i]! * shape[i]!;
      idx[i] = 0;
    }
  }
}

/** Copies `t` into a fresh array of the same kind. */
export function clone(t: Tensor): Tensor {
  return { shape: [...t.shape], data: t.data.slice() };
}

/** Maximum absolute value. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max |a − b| / max(max|a|, max|b|, floor): the norm-wise relative error used by the tests. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) throw new Error(`relError: lengths ${a.length} and ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / Math.max(maxAbs(a), maxAbs(b), floor);
}
