// Properties of the formatter over generated programs: random valid .mdl (constants, blocks,
// loops, conditionals, calls, expressions, comments), written out with random layout. The
// formatter must be idempotent, keep every comment in order, and preserve meaning: the same
// AST modulo positions, and the same elaborated IR.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Program } from '../../grammar/ast.js';
import { formatMdl } from '../../grammar/format/format.js';
import { parse } from '../../grammar/parse.js';
import { compileText } from '../helpers/compile.js';

// ---- a program generator: a tree of tokens with layout slots --------------------------

/** A piece of source: tokens, with `gap` marking where layout (spaces, newlines, comments) may go. */
type Piece = string | { gap: true; comment: boolean };
const G: Piece = { gap: true, comment: false };
/** A gap where a comment may go: before a statement or list element (where people write them). */
const C: Piece = { gap: true, comment: true };

const ident = fc.constantFrom('a', 'b', 'k', 'width', 'n_1', 'depth');
const intLit = fc
  .integer({ min: 0, max: 300 })
  .map((n) => (n > 99 && n % 7 === 0 ? `${Math.floor(n / 10)}_${n % 10}` : String(n)));

/** Compile-time int expressions over already-defined constants (no division by zero). */
function intExpr(names: string[]): fc.Arbitrary<Piece[]> {
  const leaf: fc.Arbitrary<Piece[]> = names.length
    ? fc.oneof(
        intLit.map((s) => [s]),
        fc.constantFrom(...names).map((s) => [s]),
      )
    : intLit.map((s) => [s]);
  return fc.letrec<{ e: Piece[] }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('e'), fc.constantFrom('+', '-', '*'), tie('e')).map(([l, op, r]) => [...l, G, op, G, ...r]),
      fc
        .tuple(tie('e'), fc.constantFrom('//', '%'), fc.integer({ min: 1, max: 9 }))
        .map(([l, op, r]) => ['(', G, ...l, G, ')', G, op, G, String(r)]),
      tie('e').map((e) => ['(', G, ...e, G, ')']),
      fc
        .tuple(tie('e'), tie('e'), tie('e'))
        .map(([c, a, b]) => [
          'if',
          G,
          ...c,
          G,
          '>',
          G,
          '3',
          G,
          '{',
          G,
          ...a,
          G,
          '}',
          G,
          'else',
          G,
          '{',
          G,
          ...b,
          G,
          '}',
        ]),
    ),
  })).e;
}

function list(items: Piece[][]): Piece[] {
  const out: Piece[] = ['[', C];
  items.forEach((it, i) => {
    out.push(...it);
    if (i < items.length - 1) out.push(',', C);
  });
  return [...out, C, ']'];
}

const act = fc.constantFrom('relu', 'sigmoid', 'tanh', 'gelu', 'silu');

/** A statement transforming `h: Tensor[B, C, 8, 8]` (channel count tracked by the caller). */
const tensorStmt: fc.Arbitrary<Piece[]> = fc.oneof(
  act.map((a) => ['h', G, '=', G, a, '(', G, 'h', G, ')']),
  fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.boolean())
    .map(([c, named]) => [
      'h',
      G,
      '=',
      G,
      'conv2d',
      '(',
      G,
      'h',
      ',',
      G,
      String(c),
      ',',
      G,
      '3',
      ',',
      G,
      'padding',
      '=',
      '1',
      G,
      ')',
      ...(named ? [G, 'as', G, '"conv{k}"'] : []),
    ]),
  act.map((a) => ['h', G, '=', G, 'h', G, '+', G, a, '(', 'h', ')', G, '*', G, '0.5']),
  fc.constant<Piece[]>(['h', G, '=', G, 'unit', '(', G, 'h', G, ')', G, 'as', G, '"u{k}"']),
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), act)
    .map(([n, a]) => [
      'for',
      G,
      'i',
      G,
      'in',
      G,
      'range',
      '(',
      String(n),
      ')',
      G,
      '{',
      C,
      'h',
      G,
      '=',
      G,
      a,
      '(',
      'h',
      ')',
      G,
      'as',
      G,
      '"r{k}_{i}"',
      C,
      '}',
    ]),
  fc
    .tuple(act, act)
    .map(([a, b]) => [
      'if',
      G,
      'k',
      G,
      '>',
      G,
      '2',
      G,
      '{',
      C,
      'h',
      G,
      '=',
      G,
      a,
      '(',
      'h',
      ')',
      C,
      '}',
      G,
      'else',
      G,
      '{',
      C,
      'h',
      G,
      '=',
      G,
      b,
      '(',
      'h',
      ')',
      C,
      '}',
    ]),
);

const program: fc.Arbitrary<Piece[]> = fc
  .tuple(
    fc.uniqueArray(ident, { minLength: 1, maxLength: 3 }),
    fc.array(tensorStmt, { minLength: 1, maxLength: 6 }),
    fc.array(intLit, { minLength: 1, maxLength: 4 }),
  )
  .chain(([names, stmts, table]) =>
    fc.tuple(
      fc.constant(names),
      fc.tuple(...names.map((_, i) => intExpr(names.slice(0, i)))),
      fc.constant(stmts),
      fc.constant(table),
    ),
  )
  .map(([names, exprs, stmts, table]) => {
    const out: Piece[] = [C];
    names.forEach((n, i) => out.push(n, G, '=', G, ...exprs[i]!, C));
    out.push('table', G, '=', G, ...list(table.map((t) => ['(', t, ',', G, '1', ')'])), C);
    out.push(
      'block',
      G,
      'unit',
      '(',
      G,
      'x',
      ':',
      G,
      'Tensor',
      ',',
      G,
      'scale',
      ':',
      G,
      'float',
      G,
      '=',
      G,
      '1.0',
      G,
      ')',
      G,
      '{',
      C,
    );
    out.push('return', G, 'relu', '(', 'x', ')', G, '*', G, 'scale', C, '}', C);
    out.push(
      'model',
      G,
      'net',
      '(',
      G,
      'x',
      ':',
      G,
      'Tensor',
      '[',
      'B',
      ',',
      G,
      '3',
      ',',
      G,
      '8',
      ',',
      G,
      '8',
      ']',
      ',',
      G,
      'k',
      ':',
      G,
      'int',
      G,
      '=',
      G,
      '3',
      G,
      ')',
      G,
      '{',
      C,
    );
    out.push('h', G, '=', G, 'x', C);
    for (const s of stmts) out.push(...s, C);
    out.push('return', G, 'h', C, '}', C);
    return out;
  });

/** Writes pieces with random layout: spaces or newlines in gaps, comments where allowed. */
function render(pieces: Piece[], layout: number[]): string {
  let s = '';
  let r = 0;
  const next = () => layout[r++ % layout.length]!;
  let comment = 0;
  for (const p of pieces) {
    if (typeof p === 'string') {
      // Tokens that would merge need a separator.
      if (/[A-Za-z0-9_"]$/.test(s) && /^[A-Za-z0-9_"]/.test(p)) s += ' ';
      s += p;
      continue;
    }
    const v = next();
    if (p.comment && v % 5 === 0) s += `  # note ${comment++}\n`;
    else if (v % 4 === 1) s += '\n';
    else if (v % 4 === 2) s += '  ';
    else if (v % 7 === 3) s += '\n\n';
    else if (p.comment) s += '\n';
  }
  return s.endsWith('\n') ? s : s + '\n';
}

// ---- comparison modulo positions ------------------------------------------------------

const POSITIONAL = new Set(['span', 'opSpan', 'nameSpan', 'pathSpan', 'file']);

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !POSITIONAL.has(k))
        .map(([k, x]) => [k, strip(x)]),
    );
  return v;
}

function astOf(text: string): { items: unknown; comments: string[] } {
  const r = parse({ path: 'p.mdl', text });
  if (!r.program)
    throw new Error(`generated program does not parse:\n${text}\n${r.diagnostics.map((d) => d.message).join('\n')}`);
  const p: Program = r.program;
  return { items: strip(p.items), comments: p.comments.map((c) => c.text.trimEnd()) };
}

function irOf(text: string): unknown {
  const r = compileText(text);
  if (!r.graph) return { errors: r.diagnostics.map((d) => d.code) };
  return strip(r.graph);
}

describe('formatter properties on generated programs', () => {
  it('is idempotent and preserves the AST, every comment, and the elaborated IR', async () => {
    await fc.assert(
      fc.asyncProperty(
        program,
        fc.array(fc.nat(1000), { minLength: 8, maxLength: 40 }),
        fc.constantFrom(40, 80, 100),
        async (pieces, layout, width) => {
          const src = render(pieces, layout);
          const once = await formatMdl(src, { printWidth: width });
          const twice = await formatMdl(once, { printWidth: width });
          expect(twice).toBe(once);
          expect(astOf(once)).toEqual(astOf(src));
          expect(irOf(once)).toEqual(irOf(src));
        },
      ),
      { numRuns: Number(process.env['MDL_FMT_RUNS'] ?? 300) },
    );
  }, 120_000);

  it('the generator makes programs that elaborate (so the IR comparison is not vacuous)', () => {
    const samples = fc.sample(fc.tuple(program, fc.array(fc.nat(1000), { minLength: 8, maxLength: 40 })), {
      numRuns: 50,
      seed: 7,
    });
    const ok = samples.filter(([p, l]) => compileText(render(p, l)).graph !== undefined).length;
    expect(ok).toBeGreaterThan(40);
  });
});
