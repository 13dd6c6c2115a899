// Compile-time builtin functions: the small Python-like toolkit that stage tables and
// channel arithmetic need.
import { fail } from '../diagnostics/diagnostic.js';
import type { Span } from '../source.js';
import { exactInt, finiteFloat, refuseSize } from './arith.js';
import {
  BOOL,
  FLOAT,
  INT,
  LIST,
  STR,
  TUPLE,
  brief,
  isNumber,
  show,
  typeName,
  type BuiltinFn,
  type V,
} from './values.js';

const MAX_RANGE = 100_000;
const RANGE_CACHE = 64;
const smallRanges: V[] = [];

function seq(v: V, fn: string, span: Span): readonly V[] {
  if (v.t === 'list' || v.t === 'tuple') return v.items;
  return fail('MDL3004', `${fn}() needs a list or tuple, got ${typeName(v)}`, span);
}

function intArg(v: V | undefined, fn: string, span: Span): number {
  if (v?.t === 'sym')
    fail('MDL6001', `${fn}() needs a number known at compile time, but ${v.name} is a symbolic dimension`, span, {
      hint: 'loops are unrolled at compile time, so their bounds must be fixed; symbolic dims (such as the batch) are not',
    });
  if (!v || v.t !== 'int')
    return fail('MDL3004', `${fn}() needs int arguments, got ${v ? typeName(v) : 'nothing'}`, span);
  return v.v;
}

function arity(args: readonly V[], min: number, max: number, fn: string, span: Span): void {
  if (args.length < min || args.length > max)
    fail(
      args.length < min ? 'MDL3002' : 'MDL3003',
      `${fn}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`,
      span,
    );
}

function numbers(args: readonly V[], fn: string, span: Span): V[] {
  const xs =
    args.length === 1 && (args[0]!.t === 'list' || args[0]!.t === 'tuple')
      ? [...(args[0] as { items: readonly V[] }).items]
      : [...args];
  if (xs.length === 0) fail('MDL3002', `${fn}() of an empty sequence`, span);
  for (const x of xs) if (!isNumber(x)) fail('MDL3004', `${fn}() needs numbers, got ${typeName(x)}`, span);
  return xs;
}

const table: Record<string, BuiltinFn> = {
  range(args, _kw, span) {
    arity(args, 1, 3, 'range', span);
    const [a, b, s] =
      args.length === 1
        ? [0, intArg(args[0], 'range', span), 1]
        : [
            intArg(args[0], 'range', span),
            intArg(args[1], 'range', span),
            args[2] ? intArg(args[2], 'range', span) : 1,
          ];
    if (s === 0) fail('MDL3006', 'range() step must not be zero', span);
    const n = Math.max(0, Math.ceil((b - a) / s));
    if (n > MAX_RANGE) fail('MDL6005', `range() of ${n} elements is too long to unroll`, span);
    // Loop bounds repeat in every block expansion; values are immutable, so small ranges are
    // made once and shared.
    const small = s === 1 && a >= 0 && a < RANGE_CACHE && n <= RANGE_CACHE;
    const k = a * (RANGE_CACHE + 1) + n;
    const cached = small ? smallRanges[k] : undefined;
    if (cached) return cached;
    const list = LIST(Array.from({ length: n }, (_, i) => INT(a + i * s)));
    if (small) smallRanges[k] = list;
    return list;
  },
  len(args, _kw, span) {
    arity(args, 1, 1, 'len', span);
    const v = args[0]!;
    if (v.t === 'str') return INT(v.v.length);
    return INT(seq(v, 'len', span).length);
  },
  enumerate(args, _kw, span) {
    arity(args, 1, 2, 'enumerate', span);
    const start = args[1] ? intArg(args[1], 'enumerate', span) : 0;
    const items = seq(args[0]!, 'enumerate', span);
    // A pair and its two items per element: refused before the pairs of a million-element list
    // are built (a gigabyte), not after.
    refuseSize(3 * items.length, 'list', span);
    return LIST(items.map((x, i) => TUPLE([INT(i + start), x])));
  },
  zip(args, _kw, span) {
    const seqs = args.map((a) => seq(a, 'zip', span));
    const n = Math.min(...seqs.map((s) => s.length));
    if (seqs.length > 0) refuseSize(n * (1 + seqs.length), 'list', span);
    return LIST(Array.from({ length: seqs.length ? n : 0 }, (_, i) => TUPLE(seqs.map((s) => s[i]!))));
  },
  reversed(args, _kw, span) {
    arity(args, 1, 1, 'reversed', span);
    return LIST([...seq(args[0]!, 'reversed', span)].reverse());
  },
  list(args, _kw, span) {
    arity(args, 1, 1, 'list', span);
    return LIST(seq(args[0]!, 'list', span));
  },
  tuple(args, _kw, span) {
    arity(args, 1, 1, 'tuple', span);
    return TUPLE(seq(args[0]!, 'tuple', span));
  },
  str(args, _kw, span) {
    arity(args, 1, 1, 'str', span);
    return STR(show(args[0]!));
  },
  int(args, _kw, span) {
    arity(args, 1, 1, 'int', span);
    const v = args[0]!;
    if (v.t === 'bool') return INT(v.v ? 1 : 0);
    if (isNumber(v)) return exactInt(Math.trunc(v.v), span);
    if (v.t === 'str' && /^-?\d+$/.test(v.v.trim())) return exactInt(Number(v.v), span);
    return fail('MDL3004', `int() cannot convert ${typeName(v)} ${brief(v)}`, span);
  },
  float(args, _kw, span) {
    arity(args, 1, 1, 'float', span);
    const v = args[0]!;
    if (isNumber(v)) return FLOAT(v.v);
    return fail('MDL3004', `float() cannot convert ${typeName(v)}`, span);
  },
  bool(args, _kw, span) {
    arity(args, 1, 1, 'bool', span);
    const v = args[0]!;
    if (v.t === 'bool') return v;
    if (isNumber(v)) return BOOL(v.v !== 0);
    return fail('MDL3004', `bool() cannot convert ${typeName(v)}`, span);
  },
  min(args, _kw, span) {
    const xs = numbers(args, 'min', span);
    return xs.reduce((a, b) => ((b as { v: number }).v < (a as { v: number }).v ? b : a));
  },
  max(args, _kw, span) {
    const xs = numbers(args, 'max', span);
    return xs.reduce((a, b) => ((b as { v: number }).v > (a as { v: number }).v ? b : a));
  },
  sum(args, _kw, span) {
    arity(args, 1, 1, 'sum', span);
    const xs = seq(args[0]!, 'sum', span);
    let acc: V = INT(0);
    for (const x of xs) {
      if (!isNumber(x)) fail('MDL3004', `sum() needs numbers, got ${typeName(x)}`, span);
      acc =
        acc.t === 'int' && x.t === 'int'
          ? exactInt(acc.v + x.v, span)
          : finiteFloat((acc as { v: number }).v + x.v, span);
    }
    return acc;
  },
  abs(args, _kw, span) {
    arity(args, 1, 1, 'abs', span);
    const v = args[0]!;
    if (!isNumber(v)) return fail('MDL3004', `abs() needs a number, got ${typeName(v)}`, span);
    return v.t === 'int' ? INT(Math.abs(v.v)) : FLOAT(Math.abs(v.v));
  },
  ...rounding('ceil', Math.ceil),
  ...rounding('floor', Math.floor),
  // Python 3 rounds half to even; models that compute widths rely on it.
  ...rounding('round', (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }),
  sqrt(args, _kw, span) {
    arity(args, 1, 1, 'sqrt', span);
    const v = args[0]!;
    if (!isNumber(v)) return fail('MDL3004', `sqrt() needs a number, got ${typeName(v)}`, span);
    return finiteFloat(Math.sqrt(v.v), span);
  },
};

function rounding(name: string, f: (x: number) => number): Record<string, BuiltinFn> {
  return {
    [name](args, _kw, span) {
      arity(args, 1, 1, name, span);
      const v = args[0]!;
      if (!isNumber(v)) return fail('MDL3004', `${name}() needs a number, got ${typeName(v)}`, span);
      return exactInt(f(v.v), span);
    },
  };
}

export const BUILTINS: ReadonlyMap<string, V> = new Map(
  Object.entries(table).map(([name, fn]) => [name, { t: 'builtin', name, fn } as V]),
);
