// Binds the arguments of an op call to the op's declared signature, converting compile-time
// values to attributes. All arity and type errors of op calls are reported here, uniformly; so
// are those of any other callee that declares its arguments as ops do (the backward strategies).
import { fail } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { AttrValue, ValueId } from '../ir/types.js';
import { longForm, type ArgSpec, type OpDef } from '../ops/types.js';
import type { Span } from '../source.js';
import { repr, typeName, type V } from './values.js';

export interface ArgValue {
  readonly v: V;
  readonly span: Span;
  readonly nameSpan?: Span;
}

export interface BoundCall {
  readonly tensors: readonly ValueId[];
  readonly attrs: Record<string, AttrValue>;
}

export function signature(name: string, args: readonly ArgSpec[]): string {
  const parts = args.map((a) => (a.default === undefined ? a.name : `${a.name}=${showAttr(a.default)}`));
  return `${name}(${parts.join(', ')})`;
}

function showAttr(a: AttrValue): string {
  if (a === null) return 'none';
  if (Array.isArray(a)) return `[${a.map(showAttr).join(', ')}]`;
  return typeof a === 'string' ? JSON.stringify(a) : String(a);
}

/** Positional and keyword arguments → one value per declared argument (or undefined). */
export function matchArgs(
  callee: string,
  specs: readonly { name: string; variadic?: boolean; required: boolean }[],
  positional: readonly ArgValue[],
  keywords: ReadonlyMap<string, ArgValue>,
  callSpan: Span,
  sig: string,
): (ArgValue | ArgValue[] | undefined)[] {
  const out: (ArgValue | ArgValue[] | undefined)[] = specs.map(() => undefined);
  let p = 0;
  for (let i = 0; i < specs.length && p < positional.length; i++) {
    const s = specs[i]!;
    if (s.variadic) {
      const first = positional[p]!;
      if (first.v.t === 'list' || first.v.t === 'tuple') {
        out[i] = first;
        p++;
      } else {
        const run: ArgValue[] = [];
        while (p < positional.length && (positional[p]!.v.t === 'tensor' || positional[p]!.v.t === 'poison'))
          run.push(positional[p++]!);
        out[i] = run;
      }
      continue;
    }
    out[i] = positional[p++];
  }
  if (p < positional.length) {
    const extra = positional[p]!;
    fail(
      'MDL3003',
      `${callee}() takes at most ${specs.length} positional argument${specs.length === 1 ? '' : 's'}, got ${positional.length}`,
      extra.span,
      {
        hint: `the signature is ${sig}`,
      },
    );
  }
  for (const [name, a] of keywords) {
    const i = specs.findIndex((s) => s.name === name);
    if (i < 0) {
      const dym = didYouMean(
        name,
        specs.map((s) => s.name),
      );
      fail('MDL3001', `${callee}() has no argument \`${name}\``, a.nameSpan ?? a.span, {
        hint: dym ? `${dym} The signature is ${sig}` : `the signature is ${sig}`,
      });
    }
    if (out[i] !== undefined)
      fail('MDL3005', `${callee}() got argument \`${name}\` twice (by position and by keyword)`, a.nameSpan ?? a.span, {
        hint: `the signature is ${sig}`,
      });
    out[i] = a;
  }
  specs.forEach((s, i) => {
    if (out[i] === undefined && s.required)
      fail('MDL3002', `${callee}() is missing argument \`${s.name}\``, callSpan, { hint: `the signature is ${sig}` });
  });
  return out;
}

/** What the binder needs of a callee: its name and its declared arguments. */
export type Callee = Pick<OpDef, 'name' | 'args'>;

/** A callee's signature text and argument specs, built once per callee (calls are many). */
const opShapes = new WeakMap<
  Callee,
  { readonly sig: string; readonly specs: readonly { name: string; variadic: boolean; required: boolean }[] }
>();

export function bindOpCall(
  op: Callee,
  positional: readonly ArgValue[],
  keywords: ReadonlyMap<string, ArgValue>,
  callSpan: Span,
): BoundCall | 'poison' {
  let shape = opShapes.get(op);
  if (!shape) {
    shape = {
      sig: signature(op.name, op.args),
      specs: op.args.map((a) => ({
        name: a.name,
        variadic: a.type === 'tensors',
        required: a.default === undefined && a.type !== 'tensors',
      })),
    };
    opShapes.set(op, shape);
  }
  const { sig, specs } = shape;
  const matched = matchArgs(op.name, specs, positional, keywords, callSpan, sig);
  const tensors: ValueId[] = [];
  const attrs: Record<string, AttrValue> = {};
  let poisoned = false;
  op.args.forEach((spec, i) => {
    const m = matched[i];
    if (spec.type === 'tensor' || spec.type === 'tensors') {
      const list: ArgValue[] =
        m === undefined
          ? []
          : Array.isArray(m)
            ? m
            : spec.type === 'tensors' && (m.v.t === 'list' || m.v.t === 'tuple')
              ? m.v.items.map((v) => ({ v, span: m.span }))
              : [m];
      if (spec.type === 'tensors' && list.length === 0)
        fail('MDL3002', `${op.name}() needs at least one tensor for \`${spec.name}\``, callSpan, {
          hint: `the signature is ${sig}`,
        });
      for (const a of list) {
        if (a.v.t === 'poison') poisoned = true;
        else if (a.v.t === 'tensor') tensors.push(a.v.id);
        else
          fail(
            'MDL3004',
            `${op.name}(): argument \`${spec.name}\` must be a tensor, got ${typeName(a.v)} ${repr(a.v)}`,
            a.span,
          );
      }
      return;
    }
    if (m === undefined) {
      attrs[spec.name] = longForm(spec, spec.default!);
      return;
    }
    const a = m as ArgValue;
    if (a.v.t === 'poison') {
      poisoned = true;
      return;
    }
    attrs[spec.name] = convert(op.name, spec, a);
  });
  return poisoned ? 'poison' : { tensors, attrs };
}

const DESCRIBE: Record<ArgSpec['type'], string> = {
  tensor: 'a tensor',
  tensors: 'tensors',
  int: 'an int',
  float: 'a number',
  bool: 'a bool',
  string: 'a string',
  int2: 'an int or a pair of ints',
  ints: 'a list of ints',
  floats: 'a list of numbers',
  shape: 'a list of dimensions',
  'int?': 'an int or none',
  'float?': 'a number or none',
};

function convert(callee: string, spec: ArgSpec, a: ArgValue): AttrValue {
  const v = a.v;
  const bad = (): never =>
    fail(
      'MDL3004',
      `${callee}(): argument \`${spec.name}\` must be ${DESCRIBE[spec.type]}, got ${typeName(v)} ${repr(v)}`,
      a.span,
    );
  // A symbolic dim (the batch, say) where the op needs a number is a shape problem, not a typo.
  if (v.t === 'sym' && spec.type !== 'shape')
    fail(
      'MDL4007',
      `${callee}(): argument \`${spec.name}\` must be a number, but ${v.name} is a symbolic dimension`,
      a.span,
      {
        hint: 'symbolic dims are known only at analysis time; use a fixed size here',
      },
    );
  const isInt = (x: V): x is { t: 'int'; v: number } => x.t === 'int';
  switch (spec.type) {
    case 'int':
      return isInt(v) ? v.v : bad();
    case 'int?':
      return v.t === 'none' ? null : isInt(v) ? v.v : bad();
    case 'float':
      return v.t === 'int' || v.t === 'float' ? v.v : bad();
    case 'float?':
      return v.t === 'none' ? null : v.t === 'int' || v.t === 'float' ? v.v : bad();
    case 'bool':
      return v.t === 'bool' ? v.v : bad();
    case 'string': {
      if (v.t !== 'str') return bad();
      if (spec.oneOf && !spec.oneOf.includes(v.v)) {
        const dym = didYouMean(v.v, spec.oneOf);
        fail(
          'MDL3006',
          `${callee}(): \`${spec.name}\` must be one of ${spec.oneOf.map((s) => `"${s}"`).join(', ')}, got "${v.v}"`,
          a.span,
          dym ? { hint: dym } : {},
        );
      }
      return v.v;
    }
    case 'int2':
      if (isInt(v)) return [v.v, v.v];
      if ((v.t === 'list' || v.t === 'tuple') && v.items.length === 2 && v.items.every(isInt))
        return v.items.map((x) => (x as { v: number }).v);
      if (v.t === 'none' && spec.default === null) return null;
      return bad();
    case 'ints':
      if (isInt(v)) return [v.v];
      if ((v.t === 'list' || v.t === 'tuple') && v.items.every(isInt))
        return v.items.map((x) => (x as { v: number }).v);
      return bad();
    case 'floats':
      if (v.t === 'int' || v.t === 'float') return [v.v];
      if ((v.t === 'list' || v.t === 'tuple') && v.items.every((x) => x.t === 'int' || x.t === 'float'))
        return v.items.map((x) => (x as { v: number }).v);
      return bad();
    case 'shape':
      if ((v.t === 'list' || v.t === 'tuple') && v.items.every((x) => x.t === 'int' || x.t === 'sym'))
        return v.items.map((x) => (x.t === 'int' ? x.v : (x as { name: string }).name));
      return bad();
    case 'tensor':
    case 'tensors':
      return bad();
  }
}
