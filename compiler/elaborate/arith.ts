// Compile-time arithmetic, comparison and boolean logic, with Python's semantics for numbers
// (`/` is true division, `//` and `%` floor) since that is what researchers expect when they
// compute channel counts. Tensor operands are handled by the elaborator, not here.
import type { BinaryOp } from '../../grammar/ast.js';
import { fail } from '../diagnostics/diagnostic.js';
import { formatLimit, LIMITS } from '../diagnostics/limits.js';
import type { Span } from '../source.js';
import { spendElements } from './budget.js';
import {
  BOOL,
  FLOAT,
  INT,
  LIST,
  STR,
  TUPLE,
  extentOf,
  isNumber,
  show,
  typeName,
  valueEquals,
  type V,
} from './values.js';

function symbolic(v: V, span: Span): never {
  return fail('MDL6001', `the dimension ${show(v)} is symbolic; its value is not known at compile time`, span, {
    hint: 'symbolic dims (such as the batch size) can be passed through, but not computed with',
  });
}

function num(v: V): number {
  return (v as { v: number }).v;
}

/** An integer result, exact or refused: past 2^53 − 1 an int would silently round. */
export function exactInt(r: number, span: Span): V {
  if (!Number.isSafeInteger(r))
    fail(
      'MDL6009',
      Number.isFinite(r)
        ? `the integer ${r.toExponential(3)} is beyond 2^53 − 1, where integers stop being exact`
        : `the integer result is ${r === Infinity ? 'infinite' : r === -Infinity ? '-infinite' : 'not a number'}`,
      span,
    );
  return INT(r);
}

/** A float result, refused when it is not finite (NaN or ±Infinity never become a value). */
export function finiteFloat(r: number, span: Span): V {
  if (!Number.isFinite(r))
    fail('MDL6009', `the result is ${Number.isNaN(r) ? 'not a number (NaN)' : r > 0 ? 'infinite' : '-infinite'}`, span);
  return FLOAT(r);
}

/**
 * Refuses a list, tuple or string beyond the value budget (compiler/diagnostics/limits.ts), and
 * counts what was built against the elaboration's budget of elements.
 */
export function withinBudget(v: V, span: Span): V {
  const e = extentOf(v);
  if (v.t === 'list' || v.t === 'tuple' || v.t === 'str') spendElements(e.size, span);
  if (e.size > LIMITS.valueSize)
    fail(
      'MDL6008',
      `a ${typeName(v)} of ${formatLimit(e.size)} ${v.t === 'str' ? 'characters' : 'elements'} is too large (the limit is ${formatLimit(LIMITS.valueSize)})`,
      span,
    );
  if (e.depth > LIMITS.valueDepth)
    fail('MDL6008', `lists nested ${formatLimit(e.depth)} deep are too deep (the limit is ${LIMITS.valueDepth})`, span);
  return v;
}

/** The size a result would have, refused before it is built. */
function plannedSize(size: number, what: string, span: Span): void {
  spendElements(Math.min(size, LIMITS.valueSize + 1), span);
  refuseSize(size, what, span);
}

/**
 * Refuses a result that will have at least `size` elements before it is built (its full size
 * is checked, and spent, by withinBudget once it is).
 */
export function refuseSize(size: number, what: string, span: Span): void {
  if (size > LIMITS.valueSize)
    fail(
      'MDL6008',
      `a ${what} of ${size < 1e21 ? formatLimit(size) : size.toExponential(2)} elements is too large (the limit is ${formatLimit(LIMITS.valueSize)})`,
      span,
    );
}

export function binaryOp(op: BinaryOp, a: V, b: V, span: Span): V {
  if (a.t === 'sym' || b.t === 'sym') {
    if (op === '==' || op === '!=') {
      if (a.t === 'sym' && b.t === 'sym') return BOOL((a.name === b.name) === (op === '=='));
    }
    symbolic(a.t === 'sym' ? a : b, span);
  }
  switch (op) {
    case '==':
      return BOOL(valueEquals(a, b));
    case '!=':
      return BOOL(!valueEquals(a, b));
    case 'in': {
      if (b.t === 'list' || b.t === 'tuple') return BOOL(b.items.some((x) => valueEquals(a, x)));
      if (b.t === 'str' && a.t === 'str') return BOOL(b.v.includes(a.v));
      break;
    }
    case 'and':
    case 'or':
      break; // short-circuited by the elaborator
    default:
      break;
  }
  if (isNumber(a) && isNumber(b)) return numeric(op, a, b, span);
  if (op === '+' && a.t === 'str' && b.t === 'str') {
    plannedSize(a.v.length + b.v.length, 'string', span);
    return STR(a.v + b.v);
  }
  if (op === '+' && a.t === b.t && (a.t === 'list' || a.t === 'tuple')) {
    plannedSize(extentOf(a).size + extentOf(b).size, typeName(a), span);
    return a.t === 'list'
      ? LIST([...a.items, ...(b as typeof a).items])
      : TUPLE([...a.items, ...(b as typeof a).items]);
  }
  if (op === '*' && (a.t === 'list' || a.t === 'tuple') && b.t === 'int') {
    const times = a.items.length === 0 ? 0 : Math.max(0, b.v);
    plannedSize(extentOf(a).size * times, typeName(a), span);
    const items = new Array<V>(a.items.length * times);
    for (let t = 0, k = 0; t < times; t++) for (const x of a.items) items[k++] = x;
    return a.t === 'list' ? LIST(items) : TUPLE(items);
  }
  if ((op === '<' || op === '<=' || op === '>' || op === '>=') && a.t === 'str' && b.t === 'str')
    return BOOL(compare(op, a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  return fail('MDL3009', `operator \`${op}\` cannot be applied to ${typeName(a)} and ${typeName(b)}`, span);
}

function compare(op: '<' | '<=' | '>' | '>=', c: number): boolean {
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function numeric(op: BinaryOp, a: V, b: V, span: Span): V {
  const x = num(a);
  const y = num(b);
  const ints = a.t === 'int' && b.t === 'int';
  const mk = (r: number) => (ints ? exactInt(r, span) : finiteFloat(r, span));
  switch (op) {
    case '+':
      return mk(x + y);
    case '-':
      return mk(x - y);
    case '*':
      return mk(x * y);
    case '/':
      if (y === 0) fail('MDL6002', 'division by zero', span);
      return finiteFloat(x / y, span);
    case '//':
      if (y === 0) fail('MDL6002', 'division by zero', span);
      return mk(Math.floor(x / y));
    case '%':
      if (y === 0) fail('MDL6002', 'division by zero', span);
      return mk(x - y * Math.floor(x / y));
    case '**':
      if (ints && y >= 0) return exactInt(x ** y, span);
      return finiteFloat(x ** y, span);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return BOOL(compare(op, x - y));
    default:
      return fail('MDL3009', `operator \`${op}\` cannot be applied to ${typeName(a)} and ${typeName(b)}`, span);
  }
}

export function unaryOp(op: '-' | '+' | 'not', a: V, span: Span): V {
  if (op === 'not') {
    if (a.t !== 'bool') fail('MDL6004', `\`not\` needs a bool, got ${typeName(a)}`, span);
    return BOOL(!a.v);
  }
  if (a.t === 'sym') symbolic(a, span);
  if (!isNumber(a)) fail('MDL3009', `unary \`${op}\` cannot be applied to ${typeName(a)}`, span);
  return op === '-' ? (a.t === 'int' ? INT(-a.v) : FLOAT(-a.v)) : a;
}
