// Compile-time arithmetic, comparison and boolean logic, with Python's semantics for numbers
// (`/` is true division, `//` and `%` floor) since that is what researchers expect when they
// compute channel counts. Tensor operands are handled by the elaborator, not here.
import type { BinaryOp } from '../../grammar/ast.js';
import { fail } from '../diagnostics/diagnostic.js';
import type { Span } from '../source.js';
import { BOOL, FLOAT, INT, LIST, STR, TUPLE, isNumber, show, typeName, valueEquals, type V } from './values.js';

function symbolic(v: V, span: Span): never {
  return fail('MDL6001', `the dimension ${show(v)} is symbolic; its value is not known at compile time`, span, {
    hint: 'symbolic dims (such as the batch size) can be passed through, but not computed with',
  });
}

function num(v: V): number {
  return (v as { v: number }).v;
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
  if (op === '+' && a.t === 'str' && b.t === 'str') return STR(a.v + b.v);
  if (op === '+' && a.t === b.t && (a.t === 'list' || a.t === 'tuple'))
    return a.t === 'list'
      ? LIST([...a.items, ...(b as typeof a).items])
      : TUPLE([...a.items, ...(b as typeof a).items]);
  if (op === '*' && (a.t === 'list' || a.t === 'tuple') && b.t === 'int') {
    const items = Array.from({ length: Math.max(0, b.v) }, () => a.items).flat();
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
  const mk = (r: number) => (ints ? INT(r) : FLOAT(r));
  switch (op) {
    case '+':
      return mk(x + y);
    case '-':
      return mk(x - y);
    case '*':
      return mk(x * y);
    case '/':
      if (y === 0) fail('MDL6002', 'division by zero', span);
      return FLOAT(x / y);
    case '//':
      if (y === 0) fail('MDL6002', 'division by zero', span);
      return mk(Math.floor(x / y));
    case '%':
      if (y === 0) fail('MDL6002', 'division by zero', span);
      return mk(x - y * Math.floor(x / y));
    case '**':
      if (ints && y >= 0) return INT(x ** y);
      return FLOAT(x ** y);
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
