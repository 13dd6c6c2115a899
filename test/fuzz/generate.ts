// The fuzzer's inputs, as fast-check arbitraries (so a seed reproduces them exactly):
// - programs generated from the grammar: definitions, statements and expressions over the ops,
//   the builtins and the edge values that broke mdl before (huge and non-finite numbers, deep
//   nesting, long loops, big lists);
// - mutations of the real programs in examples/ and stdlib/: at the byte level (insert, delete,
//   replace, control characters, brackets), the token level (delete, duplicate, swap, replace a
//   number or a name) and the template level (a statement wrapped in a loop, an expression
//   nested hundreds deep, a line repeated).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/** The programs mutations start from: every example and stdlib file. */
export function seedPrograms(root: string): string[] {
  const out: string[] = [];
  for (const dir of ['examples', 'stdlib'])
    for (const f of readdirSync(join(root, dir)).sort())
      if (f.endsWith('.mdl')) out.push(readFileSync(join(root, dir, f), 'utf8'));
  return out;
}

// ---------------------------------------------------------------- generated programs

/** Literals the lexer refuses (MDL1005): mutations put them in (in generated programs, with
 * a hundred literals each, they would stop nearly every program at parsing). */
const BAD_LITERALS = ['9007199254740993', '1e309'];
const EDGE_INTS = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '7',
  '8',
  '16',
  '-1',
  '-3',
  '100',
  '99999',
  '100001',
  '2**31',
  '2**53',
  '2**53 - 1',
  '2**60',
  '2**1024',
  '10**8',
  '10**10',
];
const EDGE_FLOATS = ['0.5', '1.0', '0.0', '-2.5', '1e-3', '1e308', '1e-320', '3.14'];
const NAMES = ['x', 'y', 'h', 'n', 'i', 'l', 's', 'c', 'B'];
const STRINGS = ['"a"', '""', '"{n}"', '"x{i}y"', '"\\n"', '"\\u0000"', '"conv1"', '"a.b"', '"{x}"'];
const BINARY = ['+', '-', '*', '/', '//', '%', '**', '@', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', 'in'];
const OPS: readonly [string, number][] = [
  ['relu', 1],
  ['gelu', 1],
  ['sigmoid', 1],
  ['flatten', 1],
  ['linear', 2],
  ['conv2d', 3],
  ['maxpool2d', 2],
  ['avgpool2d', 2],
  ['batchnorm2d', 1],
  ['layernorm', 1],
  ['softmax', 1],
  ['dropout', 1],
  ['global_avgpool', 1],
  ['reshape', 2],
  ['permute', 2],
  ['transpose', 3],
  ['concat', 2],
  ['sum', 2],
  ['mean', 2],
  ['matmul', 2],
  ['pad', 2],
  ['squeeze', 2],
  ['unsqueeze', 2],
  ['split', 3],
  ['select', 3],
  ['slice', 2],
  ['expand', 2],
  ['identity', 1],
];
const BUILTINS: readonly [string, number][] = [
  ['range', 1],
  ['range', 3],
  ['len', 1],
  ['int', 1],
  ['float', 1],
  ['str', 1],
  ['sqrt', 1],
  ['min', 2],
  ['max', 2],
  ['sum', 1],
  ['abs', 1],
  ['ceil', 1],
  ['round', 1],
  ['list', 1],
  ['enumerate', 1],
  ['zip', 2],
  ['reversed', 1],
];
const KEYWORDS = ['stride', 'padding', 'axes', 'axis', 'dim', 'keepdim', 'p', 'groups', 'bias', 'share', 'out'];

const expr: fc.Memo<string> = fc.memo((n) => {
  const leaf = fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...EDGE_INTS) },
    { weight: 10, arbitrary: fc.constantFrom(...EDGE_FLOATS) },
    { weight: 30, arbitrary: fc.constantFrom(...NAMES) },
    { weight: 10, arbitrary: fc.constantFrom(...STRINGS) },
    { weight: 5, arbitrary: fc.constantFrom('true', 'false', 'none') },
    { weight: 20, arbitrary: fc.integer({ min: -5, max: 300 }).map(String) },
  );
  if (n <= 1) return leaf;
  const sub = expr(n - 1);
  const args = fc.array(
    fc.oneof(
      { weight: 4, arbitrary: sub },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...KEYWORDS), sub).map(([k, v]) => `${k}=${v}`) },
    ),
    { maxLength: 4 },
  );
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    // In parentheses: comparisons do not chain, and `-not x` is no expression.
    { weight: 2, arbitrary: fc.tuple(sub, fc.constantFrom(...BINARY), sub).map(([a, o, b]) => `(${a} ${o} ${b})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-', 'not ', '+'), sub).map(([o, a]) => `(${o}${a})`) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...OPS), sub, args, fc.option(fc.constantFrom('"a"', '"b.c"', '""', '"x"')))
        .map(([[op], x, rest, as]) => `${op}(${[x, ...rest].join(', ')})${as ? ` as ${as}` : ''}`),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...BUILTINS), args).map(([[f], a]) => `${f}(${a.join(', ')})`),
    },
    { weight: 1, arbitrary: fc.array(sub, { maxLength: 5 }).map((xs) => `[${xs.join(', ')}]`) },
    {
      weight: 1,
      arbitrary: fc.array(sub, { maxLength: 3 }).map((xs) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`),
    },
    { weight: 1, arbitrary: sub.map((x) => `(${x})`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          sub,
          fc.array(
            fc.oneof(
              sub,
              fc.constant(':'),
              fc.tuple(sub, sub).map(([a, b]) => `${a}:${b}`),
            ),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
        )
        .map(([t, s]) => `${t}[${s.join(', ')}]`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(sub, fc.constantFrom('shape', 'rank', 'dtype', 'foo')).map(([t, m]) => `${t}.${m}`),
    },
    { weight: 1, arbitrary: fc.tuple(sub, sub, sub).map(([c, a, b]) => `if ${c} { ${a} } else { ${b} }`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(sub, fc.constantFrom('*', '+'), fc.constantFrom('10**8', '10**6', '99999', '2', '3'))
        .map(([a, o, k]) => `[${a}] ${o} ${o === '*' ? k : `[${k}]`}`),
    },
  );
});

const stmts: fc.Memo<string[]> = fc.memo((n) => {
  const e = expr(Math.min(n + 1, 4));
  const simple = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...NAMES), e).map(([v, x]) => `${v} = ${x}`) },
    { weight: 1, arbitrary: fc.tuple(e, fc.option(e)).map(([c, m]) => `assert ${c}${m ? `, ${m}` : ''}`) },
    { weight: 1, arbitrary: e.map((x) => `return ${x}`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...NAMES), e)
        .map(([a, b, x]) => `${a}, ${b} = ${x}`),
    },
  );
  if (n <= 1) return fc.array(simple, { minLength: 1, maxLength: 4 });
  const body = stmts(n - 1);
  const compound = fc.oneof(
    simple,
    fc
      .tuple(
        fc.constantFrom('i', 'j', 'x', 'k, v'),
        fc.oneof(
          e,
          fc.constantFrom(...EDGE_INTS).map((k) => `range(${k})`),
        ),
        body,
      )
      .map(([v, it, b]) => `for ${v} in ${it} {\n${b.join('\n')}\n}`),
    fc
      .tuple(e, body, fc.option(body))
      .map(([c, t, f]) => `if ${c} {\n${t.join('\n')}\n}${f ? ` else {\n${f.join('\n')}\n}` : ''}`),
  );
  return fc.array(compound, { minLength: 1, maxLength: 5 });
});

/** Every name the expressions use, bound first (an unknown name ends a program early). */
const PRELUDE = '  y = x\n  h = x\n  n = 4\n  i = 1\n  c = 3\n  l = [1, 2]\n  s = "a"';
const INPUTS = [
  'x: Tensor[B, 3, 8, 8]',
  'x: Tensor[B, 16]',
  'x: Tensor[B, 4, 6]',
  'x: i32[B, 4]',
  'x: Tensor[2, 3]',
  'x',
];

/** A whole program: constants, blocks and models, in the language's grammar. */
export const generatedProgram: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom('N', 'C', 'K'), expr(2)), { maxLength: 2 }),
    fc.array(fc.tuple(fc.constantFrom('b', 'blk', 'relu2'), fc.constantFrom('x', 'x, n=4', 'x, n'), stmts(2)), {
      maxLength: 2,
    }),
    fc.constantFrom(...INPUTS),
    stmts(3),
    fc.option(expr(2)),
  )
  .map(([consts, blocks, input, body, ret]) =>
    [
      ...consts.map(([k, v]) => `${k} = ${v}`),
      ...blocks.map(([name, params, b]) => `block ${name}(${params}) {\n${b.join('\n')}\n  return x\n}`),
      `model m(${input}) {\n${PRELUDE}\n${body.join('\n')}\n  return ${ret ?? 'x'}\n}`,
    ].join('\n'),
  );

// ---------------------------------------------------------------- mutations

const CHARS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  '=',
  '"',
  "'",
  '#',
  '\n',
  ' ',
  '-',
  '*',
  '\\',
  '\0',
  '\u202e',
  '\u0007',
  '\r',
  '\t',
  '9',
  'x',
  '_',
  'é',
  '\ud83d',
];
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\\n]|\\.)*"|\*\*|\/\/|[=!<>]=|\S/g;

type Mutation = (text: string, r: () => number) => string;

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;

function tokens(text: string): { s: number; e: number }[] {
  return [...text.matchAll(TOKEN)].map((m) => ({ s: m.index, e: m.index + m[0].length }));
}

function lines(text: string): string[] {
  return text.split('\n');
}

const MUTATIONS: readonly Mutation[] = [
  // bytes
  (t, r) => {
    const at = Math.floor(r() * (t.length + 1));
    return t.slice(0, at) + pick(CHARS, r) + t.slice(at);
  },
  (t, r) => {
    const at = Math.floor(r() * t.length);
    return t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 8));
  },
  (t, r) => {
    const at = Math.floor(r() * t.length);
    return t.slice(0, at) + pick(CHARS, r) + t.slice(at + 1);
  },
  // tokens
  (t, r) => {
    const ts = tokens(t);
    if (!ts.length) return t;
    const k = pick(ts, r);
    return t.slice(0, k.s) + t.slice(k.e);
  },
  (t, r) => {
    const ts = tokens(t);
    if (!ts.length) return t;
    const k = pick(ts, r);
    return t.slice(0, k.e) + ' ' + t.slice(k.s, k.e) + t.slice(k.e);
  },
  (t, r) => {
    const ts = tokens(t);
    if (ts.length < 2) return t;
    const i = Math.floor(r() * (ts.length - 1));
    const a = ts[i]!;
    const b = ts[i + 1]!;
    return t.slice(0, a.s) + t.slice(b.s, b.e) + t.slice(a.e, b.s) + t.slice(a.s, a.e) + t.slice(b.e);
  },
  (t, r) => {
    const nums = tokens(t).filter((k) => /^\d/.test(t.slice(k.s, k.e)));
    if (!nums.length) return t;
    const k = pick(nums, r);
    return t.slice(0, k.s) + pick([...EDGE_INTS, ...EDGE_FLOATS, ...BAD_LITERALS], r) + t.slice(k.e);
  },
  (t, r) => {
    const names = tokens(t).filter((k) => /^[A-Za-z_]/.test(t.slice(k.s, k.e)));
    if (!names.length) return t;
    const k = pick(names, r);
    return t.slice(0, k.s) + pick([...NAMES, ...OPS.map(([o]) => o), 'for', 'model', 'as', 'else'], r) + t.slice(k.e);
  },
  // templates
  (t, r) => {
    const ls = lines(t);
    const i = Math.floor(r() * ls.length);
    const n = pick(['3', '100', '99999', '100000', '2**20'], r);
    ls[i] = `for _q in range(${n}) {\n${ls[i]}\n}`;
    return ls.join('\n');
  },
  (t, r) => {
    const ts = tokens(t).filter((k) => /^[A-Za-z_\d]/.test(t.slice(k.s, k.e)));
    if (!ts.length) return t;
    const k = pick(ts, r);
    const depth = pick([2, 10, 63, 64, 65, 130, 300, 2000], r);
    const [open, close] = pick(
      [
        ['(', ')'],
        ['[', '][0]'],
        ['not ', ''],
        ['- ', ''],
        ['', ' + 1'],
        ['', '.shape'],
        ['', '[0]'],
        ['2 ** ', ''],
      ] as const,
      r,
    );
    return t.slice(0, k.s) + open.repeat(depth) + t.slice(k.s, k.e) + close.repeat(depth) + t.slice(k.e);
  },
  (t, r) => {
    const ls = lines(t);
    const i = Math.floor(r() * ls.length);
    const times = pick([2, 10, 1000], r);
    return [...ls.slice(0, i + 1), ...Array<string>(times).fill(ls[i]!), ...ls.slice(i + 1)].join('\n');
  },
  (t, r) => {
    const ls = lines(t);
    const i = Math.floor(r() * ls.length);
    const j = Math.floor(r() * ls.length);
    return [...ls.slice(0, i), ...ls.slice(j)].join('\n');
  },
];

/** A seed program with 1–4 mutations, chosen by a seeded random stream. */
export function mutatedProgram(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.integer())
    .map(([s, ops, salt]) => {
      // A small linear congruential stream from the salt: positions, characters, depths.
      let state = salt >>> 0 || 1;
      const r = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      let text = seeds[s]!;
      for (const op of ops) text = MUTATIONS[op % MUTATIONS.length]!(text, r);
      return text;
    });
}

/** The fuzzer's input stream: half generated programs, half mutated real ones. */
export function fuzzInputs(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(generatedProgram, mutatedProgram(seeds));
}

/** `count` inputs from `seed`, the same on every run and machine. */
export function sampleInputs(seeds: readonly string[], count: number, seed: number): string[] {
  return fc.sample(fuzzInputs(seeds), { seed, numRuns: count });
}
