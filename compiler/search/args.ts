// The arguments of a search algorithm call (`evolution(population=64, iterations=1000)`), bound
// to what the algorithm declares. Settings constructors take keyword arguments only (as a train
// section's `sgd(lr=…)` does), so binding is by name: an unknown name, a value of the wrong
// type, or a number out of range is a located error (MDL3001, MDL3004) that says what to write.
// The ops' binder does not serve here: an algorithm also takes lists of objective names.
import { fail } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { repr, typeName, type V } from '../elaborate/values.js';
import type { Span } from '../source.js';

export type ArgValue = number | string | boolean | readonly string[];

export interface ArgDecl {
  readonly name: string;
  readonly type: 'int' | 'float' | 'string' | 'bool' | 'names';
  readonly default: ArgValue;
  /** Numbers: the least value allowed. */
  readonly min?: number;
  /** Strings and names: the values allowed. */
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

export type BoundArgs = Readonly<Record<string, ArgValue>>;

/** A name as a setting may give it: `params` (the vocabulary's builtin), `"params"`, or `params()`. */
export function nameOf(v: V): string | undefined {
  if (v.t === 'str') return v.v;
  if (v.t === 'builtin') return v.name;
  if (v.t === 'config' && v.args.size === 0) return v.kind;
  return undefined;
}

/** Binds `given` (keyword arguments) to `decls`; missing ones take their defaults. */
export function bindArgs(
  callee: string,
  decls: readonly ArgDecl[],
  given: ReadonlyMap<string, V>,
  span: Span | undefined,
): BoundArgs {
  const out: Record<string, ArgValue> = {};
  for (const d of decls) out[d.name] = d.default;
  for (const [k, v] of given) {
    const d = decls.find((x) => x.name === k);
    if (!d) {
      const dym = didYouMean(
        k,
        decls.map((x) => x.name),
      );
      fail('MDL3001', `${callee}() has no argument \`${k}\``, span, {
        hint: `${dym ? dym + ' ' : ''}its arguments: ${decls.map((x) => x.name).join(', ') || 'none'}`,
      });
    }
    out[k] = convert(callee, d, v, span);
  }
  return out;
}

function convert(callee: string, d: ArgDecl, v: V, span: Span | undefined): ArgValue {
  const bad = (what: string): never =>
    fail('MDL3004', `${callee}(): ${d.name} must be ${what}, got ${typeName(v)} ${repr(v)}`, span, { hint: d.doc });
  switch (d.type) {
    case 'int':
      if (v.t !== 'int' || v.v < (d.min ?? -Infinity)) return bad(`an int${d.min !== undefined ? ` ≥ ${d.min}` : ''}`);
      return v.v;
    case 'float':
      if ((v.t !== 'int' && v.t !== 'float') || v.v < (d.min ?? -Infinity))
        return bad(`a number${d.min !== undefined ? ` ≥ ${d.min}` : ''}`);
      return v.v;
    case 'bool':
      if (v.t !== 'bool') return bad('true or false');
      return v.v;
    case 'string': {
      const s = nameOf(v);
      if (s === undefined || (d.oneOf && !d.oneOf.includes(s)))
        return bad(d.oneOf ? `one of ${d.oneOf.map((x) => JSON.stringify(x)).join(', ')}` : 'a string');
      return s;
    }
    case 'names': {
      const items = v.t === 'list' || v.t === 'tuple' ? v.items : [v];
      const names = items.map(nameOf);
      if (names.some((n) => n === undefined || (d.oneOf !== undefined && !d.oneOf.includes(n))))
        return bad(`a list of names${d.oneOf ? ` among ${d.oneOf.join(', ')}` : ''}`);
      return names as string[];
    }
  }
}

/** `name(a=1, b="x")` for reports, defaults left out. */
export function formatCall(callee: string, decls: readonly ArgDecl[], a: BoundArgs): string {
  const parts = decls
    .filter((d) => JSON.stringify(a[d.name]) !== JSON.stringify(d.default))
    .map((d) => {
      const v = a[d.name]!;
      return `${d.name}=${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
    });
  return `${callee}(${parts.join(', ')})`;
}

/**
 * A call as a flag writes it, `flash(samples=25, features=[nn_degree, live_params])` or `random`:
 * the name and its keyword arguments as values (numbers, "strings", bare names, lists of them).
 */
export function parseCall(text: string): { name: string; args: Map<string, V> } {
  const s = text.trim();
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const err = (what: string): never => {
    throw new Error(`${what} at character ${i + 1} of "${s}"`);
  };
  const ident = (): string => {
    ws();
    const m = /^[A-Za-z_]\w*/.exec(s.slice(i));
    if (!m) return err('expected a name');
    i += m[0].length;
    return m[0];
  };
  const value = (): V => {
    ws();
    const c = s[i];
    if (c === '[') {
      i++;
      const items: V[] = [];
      ws();
      if (s[i] === ']') {
        i++;
        return { t: 'list', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') {
          i++;
          return { t: 'list', items };
        } else err('expected , or ]');
      }
    }
    if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) err('unterminated string');
      const v = s.slice(i + 1, end);
      i = end + 1;
      return { t: 'str', v };
    }
    const num = /^[-+]?(\d[\d_]*\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?)/i.exec(s.slice(i));
    if (num) {
      i += num[0].length;
      const x = Number(num[0].replace(/_/g, ''));
      return /[.e]/i.test(num[0]) ? { t: 'float', v: x } : { t: 'int', v: x };
    }
    const name = ident();
    if (name === 'true' || name === 'false') return { t: 'bool', v: name === 'true' };
    return { t: 'str', v: name };
  };
  const name = ident();
  const args = new Map<string, V>();
  ws();
  if (i < s.length) {
    if (s[i] !== '(') err('expected (');
    i++;
    ws();
    if (s[i] !== ')')
      for (;;) {
        const k = ident();
        ws();
        if (s[i] !== '=') err(`expected = after ${k}`);
        i++;
        args.set(k, value());
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ')') break;
        else err('expected , or )');
      }
    i++;
    ws();
    if (i < s.length) err('unexpected text after the call');
  }
  return { name, args };
}
