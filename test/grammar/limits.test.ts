// The syntax's budgets (grammar/limits.ts): programs nested deeper than the parser and the
// recursive passes can take are refused with a located MDL1007, and programs at the limit
// go through every stage. Regression tests for the inputs a fuzzing run found crashing the
// parser (parentheses ~130 deep, if-blocks ~2,000 deep), the elaborator (`1 + 1 + …`, 10,000
// terms), the formatter (`not not …`, long `.shape` and `[0]` chains) and CstToAst (`x[]`).
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../compiler/diagnostics/limits.js';
import { parse } from '../../grammar/parse.js';
import { runStages, type Outcome } from '../fuzz/stages.js';

const model = (body: string, input = 'x: Tensor[B, 4]') => `model m(${input}) {\n${body}\n  return x\n}\n`;

function codes(text: string): string[] {
  return parse({ path: 'deep.mdl', text }).diagnostics.map((d) => d.code);
}

/** No stage may crash; every stage's result is the same user error, or ok. */
async function noCrash(text: string): Promise<Map<string, Outcome>> {
  const r = await runStages(text);
  for (const [stage, o] of r)
    expect(o.kind === 'internal' ? `${stage}: ${o.error}` : 'no internal error').toBe('no internal error');
  return r;
}

function firstCode(r: Map<string, Outcome>): string | undefined {
  const o = r.get('check')!;
  return o.kind === 'user' ? o.codes[0] : undefined;
}

describe('nesting budgets', () => {
  it('parentheses 200 deep are MDL1007 at the bracket past the limit, in every stage', async () => {
    const text = model(`  y = ${'('.repeat(200)}x${')'.repeat(200)}`);
    const r = parse({ path: 'deep.mdl', text });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MDL1007']);
    // The model's `{` and 63 parentheses are open: the next one is refused.
    expect(r.diagnostics[0]!.span!.col).toBe(7 + LIMITS.brackets - 1);
    expect(firstCode(await noCrash(text))).toBe('MDL1007');
  });

  it('if-blocks 2,000 deep are MDL1007', async () => {
    const text = model(`${'if true {\n'.repeat(2000)}x = relu(x)\n${'}\n'.repeat(2000)}`);
    expect(codes(text)).toEqual(['MDL1007']);
    expect(firstCode(await noCrash(text))).toBe('MDL1007');
  });

  it('a sum of 10,000 terms is MDL1007, not a stack overflow in the elaborator', async () => {
    const text = model(`  n = ${Array(10_000).fill('1').join(' + ')}`);
    expect(codes(text)).toEqual(['MDL1007']);
    expect(firstCode(await noCrash(text))).toBe('MDL1007');
  });

  it('`not not …` 1,000 and 20,000 deep is MDL1007 (the formatter and the parser recursed)', async () => {
    for (const n of [1000, 20_000]) {
      const text = model(`  b = ${'not '.repeat(n)}true`);
      expect(codes(text)).toEqual(['MDL1007']);
      expect(firstCode(await noCrash(text))).toBe('MDL1007');
    }
  });

  it('long `.shape`, `[0]` and `**` chains are MDL1007', async () => {
    for (const text of [
      model(`  s = x${'.shape'.repeat(3000)}`),
      model(`  l = [1]\n  n = l${'[0:1]'.repeat(3000)}`),
      model(`  n = 1${' ** 1'.repeat(5000)}`),
      model(`  n = ${'- '.repeat(5000)}1`),
    ]) {
      expect(codes(text)).toEqual(['MDL1007']);
      expect(firstCode(await noCrash(text))).toBe('MDL1007');
    }
  });

  // A fuzzing input: 1,000 lines `for i, p in enumerate([16, 32, 64] ]) {`. The parser skips each
  // stray `]` and nests the loops 1,000 deep; the bracket count let the `]` close the `{` before
  // it, saw depth 3, and `mdl check` overflowed its stack.
  it('a stray closer does not close the brackets before it', async () => {
    const text = model(`${'  for i, p in enumerate([16, 32, 64] ]) {\n'.repeat(1000)}  x = relu(x)\n`);
    const r = parse({ path: 'stray.mdl', text });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MDL1007']);
    const d = r.diagnostics[0]!;
    // The model's `{` and 62 loops' are open when the 63rd loop's `(` and `[` make 64: its `[` is refused.
    expect(d.span!.line).toBe(LIMITS.brackets);
    expect(d.notes.map((n) => [n.span?.line, n.span?.col])).toEqual([[2, 38]]);
    expect(firstCode(await noCrash(text))).toBe('MDL1007');
    // A closer that matches a bracket further out closes it: `f([x)` leaves nothing open.
    expect(codes(model(`  y = ${'f([x) + '.repeat(500)}1`))).not.toContain('MDL1007');
  });

  it('programs at the limits go through every stage', async () => {
    const deep = LIMITS.brackets;
    const chain = LIMITS.syntaxDepth - 8;
    for (const text of [
      model(`  y = ${'('.repeat(deep - 2)}x${')'.repeat(deep - 2)}`),
      model(`  n = ${Array(chain).fill('1').join(' + ')}\n  x = linear(x, n)`),
      model(`  b = ${'not '.repeat(chain)}true`),
      model(`  s = x.shape${'[0:2]'.repeat(chain)}`),
      model(`  n = [${Array(2000).fill('-1').join(', ')}][0]`),
    ]) {
      const r = await noCrash(text);
      for (const [stage, o] of r)
        expect(`${stage}: ${o.kind === 'user' ? o.codes.join(' ') : o.kind}`).toBe(`${stage}: ok`);
    }
  });

  it('a flat list of many negative numbers is not a chain', () => {
    expect(codes(model(`  l = [${Array(5000).fill('-1').join(', ')}]`))).toEqual([]);
  });
});

describe('the syntax-error budget', () => {
  const broken = (n: number) => model(Array.from({ length: n }, (_, i) => `  y${i} = )`).join('\n'));

  it('a file with a few errors reports each of them and no MDL1008', () => {
    const found = codes(broken(5));
    expect(found).toHaveLength(5);
    expect(found).not.toContain('MDL1008');
  });

  it(`past ${LIMITS.syntaxErrors} errors the parser stops, with MDL1008 where it stopped`, () => {
    const lines = 3 * LIMITS.syntaxErrors;
    const r = parse({ path: 'broken.mdl', text: broken(lines) });
    const last = r.diagnostics[r.diagnostics.length - 1]!;
    expect(last.code).toBe('MDL1008');
    // Stopped reading: the rest of the file was not parsed.
    expect(last.span!.line).toBeLessThan(lines);
    expect(r.diagnostics.length).toBeLessThanOrEqual(LIMITS.syntaxErrors + 1);
    expect(r.diagnostics.slice(0, -1).every((d) => d.code === 'MDL1003' || d.code === 'MDL1004')).toBe(true);
  });

  // A fuzzing input (1 MB of `c[0][0]…` lines) needed more than a gigabyte of syntax tree.
  it(`a file of more than ${LIMITS.tokens} tokens is MDL1009 at the first token past it, in every stage`, async () => {
    const line = `  y = x${'[0]'.repeat(100)}`;
    const lines = Math.ceil(LIMITS.tokens / 300) + 2;
    const text = model(Array.from({ length: lines }, () => line).join('\n'));
    const r = parse({ path: 'long.mdl', text });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MDL1009']);
    // The model line has 13 tokens ahead of the body and each body line 303.
    expect(r.diagnostics[0]!.span!.line).toBe(1 + Math.floor((LIMITS.tokens - 13) / 303) + 1);
    expect(firstCode(await noCrash(text))).toBe('MDL1009');
    // At the budget it parses.
    expect(codes(model(Array.from({ length: 100 }, () => line).join('\n')))).toEqual([]);
  });

  // A fuzzing input (800 KB, a parameter type followed by 130,000 `.shape`s) made the parser
  // recover from 132,000 errors, 37 s for `mdl check`. Every stage now stops at the budget.
  it('a type followed by 30,000 `.shape`s is a located error in every stage', async () => {
    const text = `model m(x: Tensor[B, 4], dim: int${'.shape'.repeat(30_000)}) {\n  return x\n}\n`;
    const found = codes(text);
    expect(found[found.length - 1]).toBe('MDL1008');
    expect(firstCode(await noCrash(text))).toBe('MDL1004');
  });
});

describe('subscripts and literals CstToAst used to crash on', () => {
  it('`x[]` and `w[0, ]` are located syntax errors', async () => {
    for (const [text, col] of [
      [model('  y = x[]'), 8],
      [model('  y = w[0, ]', 'w: Tensor[B, 4]'), 8],
    ] as const) {
      const r = parse({ path: 's.mdl', text });
      expect(r.diagnostics.map((d) => [d.code, d.span?.line, d.span?.col, d.message])).toEqual([
        ['MDL1003', 2, col, 'an empty subscript'],
      ]);
      await noCrash(text);
    }
  });

  it('an integer literal past 2^53 and a float literal past 1.8e308 are MDL1005', () => {
    expect(codes(model('  n = 99999999999999999999'))).toEqual(['MDL1005']);
    expect(codes(model('  n = 9007199254740993'))).toEqual(['MDL1005']);
    expect(codes(model('  n = 9007199254740991'))).toEqual([]);
    expect(codes(model('  f = 1e999'))).toEqual(['MDL1005']);
  });
});
