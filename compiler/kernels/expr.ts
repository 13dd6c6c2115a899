// Expression constructors for the kernel IR, with the folding that keeps generated index
// arithmetic readable (x + 0, x·1, literal arithmetic). Float folding is limited to what is
// exact (x·1), so kernels round like the reference interpreter's float32 runs.
import type { BinOp, Expr, Fn, ScalarType, VType } from './ir.js';
import { contiguousStrides } from '../ir/shape.js';

/** Row-major strides of a shape (the IR's helper, re-exported for kernel code). */
export { contiguousStrides };

export const i32 = (v: number): Expr => {
  if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) throw new Error(`i32 literal out of range: ${v}`);
  return { k: 'lit', t: 'i32', v };
};
export const u32 = (v: number): Expr => ({ k: 'lit', t: 'u32', v: v >>> 0 });
export const f32 = (v: number): Expr => ({ k: 'lit', t: 'f32', v: Math.fround(v) });
export const bool = (v: boolean): Expr => ({ k: 'lit', t: 'bool', v });
export const ref = (name: string, t: VType): Expr => ({ k: 'ref', t, name });

export const isLit = (e: Expr, v?: number | boolean): e is Extract<Expr, { k: 'lit' }> =>
  e.k === 'lit' && (v === undefined || e.v === v);
const litNum = (e: Expr): number | undefined => (e.k === 'lit' && typeof e.v === 'number' ? e.v : undefined);

function binType(op: BinOp, a: Expr, b: Expr): VType {
  if (
    op === '<' ||
    op === '<=' ||
    op === '>' ||
    op === '>=' ||
    op === '==' ||
    op === '!=' ||
    op === '&&' ||
    op === '||'
  )
    return 'bool';
  if (a.t === 'vec4f' || b.t === 'vec4f') return 'vec4f';
  return a.t;
}

function checkTypes(op: BinOp, a: Expr, b: Expr): void {
  const ok = a.t === b.t || (a.t === 'vec4f' && b.t === 'f32') || (a.t === 'f32' && b.t === 'vec4f');
  if (!ok) throw new Error(`kernel IR: ${op} on ${a.t} and ${b.t}`);
}

/** Integer literal folding (exact in i32 for our index ranges). */
function foldInt(op: BinOp, x: number, y: number): number | undefined {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return y !== 0 && x >= 0 && y > 0 ? Math.floor(x / y) : undefined;
    case '%':
      return y > 0 && x >= 0 ? x % y : undefined;
    default:
      return undefined;
  }
}

export function bin(op: BinOp, a: Expr, b: Expr): Expr {
  checkTypes(op, a, b);
  const t = binType(op, a, b);
  const x = litNum(a);
  const y = litNum(b);
  if (a.t === 'i32' && b.t === 'i32') {
    if (x !== undefined && y !== undefined) {
      const r = foldInt(op, x, y);
      if (r !== undefined && Number.isSafeInteger(r) && Math.abs(r) < 2 ** 31) return i32(r);
    }
    if (op === '+' && x === 0) return b;
    if ((op === '+' || op === '-') && y === 0) return a;
    if (op === '*' && (x === 0 || y === 0)) return i32(0);
    if (op === '*' && x === 1) return b;
    if ((op === '*' || op === '/') && y === 1) return a;
    if (op === '%' && y === 1) return i32(0);
    if ((op === '/' || op === '%') && x === 0) return i32(0);
    // (e + c1) + c2 → e + (c1 + c2): keeps unrolled offsets tidy.
    if (op === '+' && y !== undefined && a.k === 'bin' && a.op === '+' && litNum(a.b) !== undefined)
      return bin('+', a.a, i32(litNum(a.b)! + y));
  }
  if (a.t === 'bool' && b.t === 'bool') {
    if (op === '&&') {
      if (isLit(a, true)) return b;
      if (isLit(b, true)) return a;
      if (isLit(a, false) || isLit(b, false)) return bool(false);
    }
    if (op === '||') {
      if (isLit(a, false)) return b;
      if (isLit(b, false)) return a;
      if (isLit(a, true) || isLit(b, true)) return bool(true);
    }
  }
  if (t === 'bool' && a.t === 'i32' && x !== undefined && y !== undefined) {
    const r =
      op === '<'
        ? x < y
        : op === '<='
          ? x <= y
          : op === '>'
            ? x > y
            : op === '>='
              ? x >= y
              : op === '=='
                ? x === y
                : op === '!='
                  ? x !== y
                  : undefined;
    if (r !== undefined) return bool(r);
  }
  if (a.t === 'f32' && b.t === 'f32' && op === '*' && (x === 1 || y === 1)) return x === 1 ? b : a;
  return { k: 'bin', t, op, a, b };
}

export const add = (a: Expr, b: Expr): Expr => bin('+', a, b);
export const sub = (a: Expr, b: Expr): Expr => bin('-', a, b);
export const mul = (a: Expr, b: Expr): Expr => bin('*', a, b);
export const div = (a: Expr, b: Expr): Expr => bin('/', a, b);
export const mod = (a: Expr, b: Expr): Expr => bin('%', a, b);
export const lt = (a: Expr, b: Expr): Expr => bin('<', a, b);
export const le = (a: Expr, b: Expr): Expr => bin('<=', a, b);
export const gt = (a: Expr, b: Expr): Expr => bin('>', a, b);
export const ge = (a: Expr, b: Expr): Expr => bin('>=', a, b);
export const eq = (a: Expr, b: Expr): Expr => bin('==', a, b);
export const ne = (a: Expr, b: Expr): Expr => bin('!=', a, b);
export const and = (a: Expr, b: Expr): Expr => bin('&&', a, b);
export const or = (a: Expr, b: Expr): Expr => bin('||', a, b);
export const all = (...xs: Expr[]): Expr => xs.reduce((p, x) => and(p, x), bool(true));

export function neg(a: Expr): Expr {
  const x = litNum(a);
  if (x !== undefined && a.t !== 'u32') return a.t === 'f32' ? f32(-x) : i32(-x);
  return { k: 'un', t: a.t, op: 'neg', a };
}
export function not(a: Expr): Expr {
  if (a.k === 'lit') return bool(!a.v);
  return { k: 'un', t: 'bool', op: 'not', a };
}

export function call(fn: Fn, ...args: Expr[]): Expr {
  const t: VType = fn === 'dot' ? 'f32' : fn === 'philox_word' ? 'u32' : args[0]!.t;
  if ((fn === 'min' || fn === 'max') && args[0]!.t === 'i32') {
    const x = litNum(args[0]!);
    const y = litNum(args[1]!);
    if (x !== undefined && y !== undefined) return i32(fn === 'min' ? Math.min(x, y) : Math.max(x, y));
  }
  return { k: 'call', t, fn, args };
}
export const exp = (a: Expr): Expr => call('exp', a);
export const log = (a: Expr): Expr => call('log', a);
export const sqrt = (a: Expr): Expr => call('sqrt', a);
export const tanh = (a: Expr): Expr => call('tanh', a);
export const min = (a: Expr, b: Expr): Expr => call('min', a, b);
export const max = (a: Expr, b: Expr): Expr => call('max', a, b);

/** c ? a : b. */
export function sel(c: Expr, a: Expr, b: Expr): Expr {
  if (isLit(c, true)) return a;
  if (isLit(c, false)) return b;
  if (a.t !== b.t) throw new Error(`kernel IR: select of ${a.t} and ${b.t}`);
  return { k: 'sel', t: a.t, c, a, b };
}

export function cast(t: ScalarType, a: Expr): Expr {
  if (a.t === t) return a;
  const x = litNum(a);
  if (x !== undefined && t === 'f32') return f32(x);
  if (x !== undefined && t === 'i32' && Number.isInteger(x)) return i32(x);
  return { k: 'cast', t, a };
}

export const load = (buf: string, t: VType, i: Expr): Expr => ({ k: 'load', t, buf, i });
export const elem = (arr: string, t: VType, i: Expr): Expr => ({ k: 'elem', t, arr, i });
export const lane = (a: Expr, i: number): Expr => ({ k: 'lane', t: 'f32', a, i });
export const vec4 = (...args: Expr[]): Expr => ({ k: 'vec', t: 'vec4f', args });

/** A builtin (`gid`, `lid`, `wid`, `nwg`) component as an i32. */
export const builtin = (name: 'gid' | 'lid' | 'wid' | 'nwg', axis: 0 | 1 | 2): Expr =>
  cast('i32', ref(`${name}.${'xyz'[axis]}`, 'u32'));

/** Σ idx[d]·strides[d] + offset, folded. */
export function linear(idx: readonly Expr[], strides: readonly number[], offset = 0): Expr {
  let e = i32(offset);
  idx.forEach((x, d) => {
    if (strides[d] !== 0) e = add(e, mul(x, i32(strides[d]!)));
  });
  return e;
}

/** The multi-index of flat index `f` in `shape` (the outermost needs no modulo). */
export function unflatten(f: Expr, shape: readonly number[]): Expr[] {
  const st = contiguousStrides(shape);
  return shape.map((d, i) => {
    if (d === 1) return i32(0);
    const q = div(f, i32(st[i]!));
    return i === 0 ? q : mod(q, i32(d));
  });
}

/** A stable text key of an expression (for memoising loads of the same element). */
export function keyOf(e: Expr): string {
  switch (e.k) {
    case 'lit':
      return `${e.t}:${String(e.v)}`;
    case 'ref':
      return e.name;
    case 'bin':
      return `(${keyOf(e.a)}${e.op}${keyOf(e.b)})`;
    case 'un':
      return `${e.op}(${keyOf(e.a)})`;
    case 'call':
      return `${e.fn}(${e.args.map(keyOf).join(',')})`;
    case 'sel':
      return `sel(${keyOf(e.c)},${keyOf(e.a)},${keyOf(e.b)})`;
    case 'cast':
      return `${e.t}(${keyOf(e.a)})`;
    case 'load':
      return `${e.buf}[${keyOf(e.i)}]`;
    case 'elem':
      return `${e.arr}[${keyOf(e.i)}]`;
    case 'lane':
      return `${keyOf(e.a)}.${e.i}`;
    case 'vec':
      return `vec(${e.args.map(keyOf).join(',')})`;
  }
}
