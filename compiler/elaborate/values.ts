// Compile-time values. Elaboration is an interpreter over the AST whose values are either
// ordinary compile-time data (numbers, strings, lists, tuples) or references into the IR graph
// being built (tensors). `poison` stands for the result of a statement that already failed: it
// flows through everything silently, so one mistake is reported once, not at every use.
import type { Definition } from '../../grammar/ast.js';
import type { OpDef } from '../ops/types.js';
import type { ValueId } from '../ir/types.js';
import type { Span } from '../source.js';
import { cacheSlot } from '../ir/cache-slot.js';

export type V =
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'none' }
  | { readonly t: 'list'; readonly items: readonly V[] }
  | { readonly t: 'tuple'; readonly items: readonly V[] }
  | { readonly t: 'tensor'; readonly id: ValueId }
  /** A symbolic dimension, such as the batch size `B`. */
  | { readonly t: 'sym'; readonly name: string }
  | { readonly t: 'def'; readonly def: Definition; readonly module: ModuleRef }
  | { readonly t: 'op'; readonly op: OpDef }
  | { readonly t: 'builtin'; readonly name: string; readonly fn: BuiltinFn }
  | { readonly t: 'ns'; readonly module: ModuleRef; readonly alias: string }
  /** A setting of a `train` section: `sgd(lr=0.1, momentum=0.9)`, `cosine(warmup=100)`, … */
  | { readonly t: 'config'; readonly kind: string; readonly args: ReadonlyMap<string, V>; readonly span: Span }
  | { readonly t: 'poison' };

/** Opaque handle to an elaborated module (defined by the module loader). */
export interface ModuleRef {
  readonly path: string;
  lookup(name: string): V | undefined;
  names(): Iterable<string>;
}

export type BuiltinFn = (args: readonly V[], kwargs: ReadonlyMap<string, V>, span: Span) => V;

export const INT = (v: number): V => ({ t: 'int', v });
export const FLOAT = (v: number): V => ({ t: 'float', v });
export const BOOL = (v: boolean): V => ({ t: 'bool', v });
export const STR = (v: string): V => ({ t: 'str', v });
export const NONE: V = { t: 'none' };
export const POISON: V = { t: 'poison' };
export const LIST = (items: readonly V[]): V => ({ t: 'list', items });
export const TUPLE = (items: readonly V[]): V => ({ t: 'tuple', items });

/**
 * How big a list or tuple is: every element at every level (a list shared twice counts
 * twice, as printing or comparing it would visit it twice), and how deep lists nest. Measured
 * when first asked, from its items' measures, and remembered: the values a program builds step
 * by step are measured a step at a time.
 */
export interface Extent {
  readonly size: number;
  readonly depth: number;
}

const extents = cacheSlot<Extent>('extent');
const FLAT: Extent = { size: 1, depth: 0 };

/** A value's extent: a string's length, a sequence's measure, 1 for anything else. */
export function extentOf(v: V): Extent {
  if (v.t === 'str') return { size: v.v.length, depth: 0 };
  if (v.t !== 'list' && v.t !== 'tuple') return FLAT;
  let e = extents.get(v);
  if (e) return e;
  let size = v.items.length;
  let depth = 1;
  for (const x of v.items) {
    if (x.t !== 'list' && x.t !== 'tuple') continue;
    const c = extentOf(x);
    size += c.size;
    if (c.depth + 1 > depth) depth = c.depth + 1;
  }
  extents.set(v, (e = { size, depth }));
  return e;
}

/** The type name users see in messages. */
export function typeName(v: V): string {
  switch (v.t) {
    case 'int':
      return 'int';
    case 'float':
      return 'float';
    case 'bool':
      return 'bool';
    case 'str':
      return 'string';
    case 'none':
      return 'none';
    case 'list':
      return 'list';
    case 'tuple':
      return 'tuple';
    case 'tensor':
      return 'tensor';
    case 'sym':
      return 'symbolic dimension';
    case 'def':
      return v.def.kind;
    case 'op':
      return 'op';
    case 'builtin':
      return 'builtin function';
    case 'ns':
      return 'module';
    case 'config':
      return `${v.kind} setting`;
    case 'poison':
      return 'error';
  }
}

/** How a value prints inside string interpolation and messages (Python-like). */
export function show(v: V): string {
  switch (v.t) {
    case 'int':
      return String(v.v);
    case 'float':
      return Number.isInteger(v.v) ? v.v.toFixed(1) : String(v.v);
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'str':
      return v.v;
    case 'none':
      return 'none';
    case 'list':
      return `[${v.items.map(showRepr).join(', ')}]`;
    case 'tuple':
      return v.items.length === 1 ? `(${showRepr(v.items[0]!)},)` : `(${v.items.map(showRepr).join(', ')})`;
    case 'sym':
      return v.name;
    case 'def':
      return `${v.def.kind} ${v.def.name}`;
    case 'op':
      return `op ${v.op.name}`;
    case 'builtin':
      return `builtin ${v.name}`;
    case 'ns':
      return `module ${v.alias}`;
    case 'tensor':
      return 'tensor';
    case 'config':
      return `${v.kind}(${[...v.args].map(([k, x]) => `${k}=${showRepr(x)}`).join(', ')})`;
    case 'poison':
      return '<error>';
  }
}

/** A value as messages quote it: strings in quotes, so `"64"` is not read as a number. Long
 * values are cut short (a message quoting a list of a million elements would be megabytes). */
export function repr(v: V): string {
  return v.t === 'str' ? JSON.stringify(v.v.length > BRIEF ? v.v.slice(0, BRIEF) + '…' : v.v) : brief(v);
}

const BRIEF = 200;

/** `show` for messages: the same text when short, cut at about 200 characters with `…`, and
 * never longer to compute than what it prints. */
export function brief(v: V): string {
  let room = BRIEF;
  const go = (x: V, quote: boolean): string => {
    if (room <= 0) return '…';
    if (x.t !== 'list' && x.t !== 'tuple') {
      let t: string;
      if (x.t === 'str') {
        const cut = x.v.length > room ? x.v.slice(0, room) : x.v;
        t = (quote ? JSON.stringify(cut) : cut) + (cut.length < x.v.length ? '…' : '');
      } else t = show(x);
      room -= t.length;
      return t;
    }
    const parts: string[] = [];
    for (const y of x.items) {
      if (room <= 0) {
        parts.push('…');
        break;
      }
      parts.push(go(y, true));
      room -= 2;
    }
    if (x.t === 'list') return `[${parts.join(', ')}]`;
    return parts.length === 1 && x.items.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
  };
  return go(v, false);
}

function showRepr(v: V): string {
  return v.t === 'str' ? JSON.stringify(v.v) : show(v);
}

export function isNumber(v: V): v is { t: 'int' | 'float'; v: number } {
  return v.t === 'int' || v.t === 'float';
}

/** Structural equality for compile-time data (used by `==` and `in`). */
export function valueEquals(a: V, b: V): boolean {
  if (isNumber(a) && isNumber(b)) return a.v === b.v;
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'bool':
    case 'str':
      return a.v === (b as typeof a).v;
    case 'none':
      return true;
    case 'list':
    case 'tuple': {
      const bi = (b as typeof a).items;
      return a.items.length === bi.length && a.items.every((x, i) => valueEquals(x, bi[i]!));
    }
    case 'sym':
      return a.name === (b as typeof a).name;
    case 'tensor':
      return a.id === (b as typeof a).id;
    default:
      return a === b;
  }
}
