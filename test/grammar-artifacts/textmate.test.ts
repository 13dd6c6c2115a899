// The TextMate grammar stays in step with the lexer, the op registry and the builtins: it is
// regenerated identically, every regex is one JavaScript and Oniguruma read alike, and applied
// to real .mdl text it gives every keyword, literal, comment and op call the expected scope.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../compiler/elaborate/builtins.js';
import { OP_NAMES } from '../../compiler/ops/registry.js';
import { ARTIFACTS, repoRoot } from '../../grammar/generate/paths.js';
import { KEYWORD_SCOPES, SCOPES, TYPE_NAMES, keywordWords, tmLanguageText } from '../../grammar/generate/textmate.js';
import {
  Comment,
  FloatLit,
  Identifier,
  IntLit,
  Keyword,
  KEYWORDS,
  LParen,
  mdlLexer,
  StringLit,
} from '../../grammar/lexer.js';
import { grammarRegexes, TmTokenizer, type TmGrammar } from './tm-tokenizer.js';

const root = repoRoot();
const text = readFileSync(join(root, ARTIFACTS.textmate), 'utf8');
const grammar = JSON.parse(text) as TmGrammar & { fileTypes: string[]; name: string };
const tm = new TmTokenizer(grammar);
const STALE = 'grammar/mdl.tmLanguage.json is stale: run `npm run grammar:generate` and commit the result';

/** Every keyword together, in the places the language puts them. */
const ALL_KEYWORDS_SAMPLE = `import "std/resnet"
import "./cells.mdl" as cells
from "std/attention" import encoder_block
model m(x: Tensor[B, 3, 32, 32], n: int = 10) {
  if n > 3 and not false or true { h = relu(x) } else { h = x }
  for i in range(2) { h = relu(h) as "r{i}" }
  assert n in [10, 20], "n is {n}"
  k = if n == 10 { none } else { 1 }
  return h
}
block b(x: Tensor) { return x }
train t {
  model = m()
  freeze "features.*"
  backward conv2d = grad_filter(2)
}
space s { width = 1 }
`;

function scopesAt(s: string[][], offset: number): string[] {
  return s[offset] ?? [];
}

function corpus(): { path: string; text: string }[] {
  const files = [{ path: 'sample', text: ALL_KEYWORDS_SAMPLE }];
  for (const dir of ['examples', 'stdlib'])
    for (const f of readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.mdl'))
      .sort())
      files.push({ path: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') });
  return files;
}

describe('grammar/mdl.tmLanguage.json', () => {
  it('is what the generator writes today', () => {
    expect(text, STALE).toBe(tmLanguageText());
  });

  it('is a TextMate grammar for .mdl files', () => {
    expect(grammar.scopeName).toBe('source.mdl');
    expect(grammar.fileTypes).toEqual(['mdl']);
    expect(grammar.name).toBe('mdl');
    // Every include points at a rule that exists.
    const includes = [...text.matchAll(/"include": "#([^"]+)"/g)].map((m) => m[1]!);
    for (const inc of includes) expect(grammar.repository, `#${inc}`).toHaveProperty([inc]);
  });

  it('has regexes that compile under JavaScript and use nothing Oniguruma reads differently', () => {
    const all = grammarRegexes(grammar);
    expect(all.length).toBeGreaterThan(20);
    for (const { where, source } of all) {
      expect(() => new RegExp(source, 'd'), where).not.toThrow();
      // Oniguruma-only: \G \A \z \Z \h \H, atomic groups, possessive quantifiers, inline flags.
      expect(source, where).not.toMatch(/\\[GAzZhH]|\(\?>|[*+?}]\+|\(\?[imx-]+[):]/);
      // Oniguruma needs fixed-length lookbehind.
      for (const lb of source.matchAll(/\(\?<[=!]((?:\\.|[^()])*)\)/g))
        expect(lb[1], `${where}: lookbehind`).not.toMatch(/(?<!\\)[*+?{]/);
    }
  });

  it('matches every keyword the lexer knows as a whole word', () => {
    const matchRegexes = grammarRegexes(grammar).filter((r) => r.kind === 'match');
    const matchedAlone = (word: string) =>
      matchRegexes.some(({ source }) => {
        const m = new RegExp(source).exec(` ${word} `);
        return m !== null && m[0] === word && m.index === 1;
      });
    expect(keywordWords().filter((word) => !matchedAlone(word))).toEqual([]);
    for (const word of keywordWords()) {
      // …and not inside a longer name.
      for (const { source, where } of matchRegexes) {
        const m = new RegExp(source).exec(`${word}_x x_${word}`);
        if (m && /^[a-z]+$/.test(m[0])) expect(m[0], `${where} matches inside a name`).not.toBe(word);
      }
    }
    expect(Object.keys(KEYWORD_SCOPES).sort()).toEqual(keywordWords().sort());
    expect(KEYWORDS.length).toBe(keywordWords().length);
  });

  it('scopes every lexer token of the examples, the stdlib and a sample of all keywords', () => {
    let checked = 0;
    for (const { path, text: src } of corpus()) {
      const scopes = tm.tokenize(src);
      const lexed = mdlLexer.tokenize(src);
      expect(lexed.errors, path).toEqual([]);
      const tokens = lexed.tokens;
      const at = (t: { startOffset: number; image: string }) => `${path} offset ${t.startOffset} \`${t.image}\``;
      const every = (t: { startOffset: number; endOffset?: number }, pred: (s: string[]) => boolean) => {
        for (let i = t.startOffset; i <= t.endOffset!; i++) if (!pred(scopesAt(scopes, i))) return false;
        return true;
      };
      tokens.forEach((t, k) => {
        const next = tokens[k + 1];
        if (t.tokenType.CATEGORIES?.includes(Keyword)) {
          const ok = every(
            t,
            (s) =>
              s.some((x) => /^(keyword|storage\.type|constant\.language)\./.test(x)) &&
              !s.some((x) => x.startsWith('string.')),
          );
          expect(ok, `keyword ${at(t)}: ${scopesAt(scopes, t.startOffset).join(' ')}`).toBe(true);
          checked++;
        } else if (t.tokenType === IntLit || t.tokenType === FloatLit) {
          const want = t.tokenType === IntLit ? 'constant.numeric.integer.mdl' : 'constant.numeric.float.mdl';
          expect(
            every(t, (s) => s.includes(want)),
            `number ${at(t)}: ${scopesAt(scopes, t.startOffset).join(' ')}`,
          ).toBe(true);
        } else if (t.tokenType === StringLit) {
          expect(scopesAt(scopes, t.startOffset), `string ${at(t)}`).toContain('string.quoted.double.mdl');
          expect(scopesAt(scopes, t.endOffset!), `string end ${at(t)}`).toContain('string.quoted.double.mdl');
        } else if (t.tokenType === Identifier && next?.tokenType === LParen) {
          const s = scopesAt(scopes, t.startOffset);
          const prev = tokens[k - 1];
          const want =
            prev?.image === '.'
              ? SCOPES.call
              : OP_NAMES.includes(t.image)
                ? SCOPES.op
                : BUILTINS.has(t.image)
                  ? SCOPES.builtin
                  : prev?.image === 'model' || prev?.image === 'block'
                    ? SCOPES.definition
                    : SCOPES.call;
          expect(s, `call ${at(t)}`).toContain(want);
        }
      });
      for (const c of lexed.groups['comments'] ?? []) {
        expect(c.tokenType).toBe(Comment);
        expect(
          every(c, (s) => s.includes('comment.line.number-sign.mdl')),
          `comment ${at(c)}`,
        ).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('highlights every op in the registry as a builtin, and only when it is the op', () => {
    for (const op of OP_NAMES) {
      const src = `y = ${op}(x, 1)`;
      expect(tm.tokenize(src)[4], op).toContain(SCOPES.op);
      // A member call or a longer name is not the op.
      expect(tm.tokenize(`y = m.${op}(x)`)[6], `m.${op}`).not.toContain(SCOPES.op);
      expect(tm.tokenize(`y = ${op}_2(x)`)[4], `${op}_2`).toContain(SCOPES.call);
    }
    for (const fn of BUILTINS.keys())
      expect(tm.tokenize(`y = ${fn}(x)`)[4], fn).toContain(OP_NAMES.includes(fn) ? SCOPES.op : SCOPES.builtin);
  });

  it('scopes definitions, parameters, types, layer names, keyword arguments and interpolations', () => {
    const src = `block conv_bn(x: Tensor[N, C, H, W], out: int, sizes: list = [1, 2],\n    act: string = "relu") {\n  h = conv2d(x, out, 3, padding=1) as "conv{i + 1}.0"\n  return h.shape\n}`;
    const s = tm.tokenize(src);
    const scopeOf = (needle: string, nth = 0) => {
      let i = -1;
      for (let k = 0; k <= nth; k++) i = src.indexOf(needle, i + 1);
      if (i < 0) throw new Error(`${needle} not in the sample`);
      return s[i]!;
    };
    expect(scopeOf('block')).toContain('storage.type.function.mdl');
    expect(scopeOf('conv_bn')).toContain(SCOPES.definition);
    expect(scopeOf('x:')).toContain(SCOPES.parameter);
    expect(scopeOf('out:')).toContain(SCOPES.parameter);
    expect(scopeOf('act:')).toContain(SCOPES.parameter);
    expect(scopeOf('N,')).not.toContain(SCOPES.parameter);
    expect(scopeOf('2]')).not.toContain(SCOPES.parameter);
    expect(scopeOf('Tensor')).toContain(SCOPES.type);
    expect(scopeOf('int,')).toContain(SCOPES.type);
    expect(scopeOf('padding')).toContain('variable.parameter.keyword.mdl');
    expect(scopeOf('as "')).toContain('keyword.other.as.mdl');
    expect(scopeOf('conv{')).toContain(SCOPES.layerName);
    expect(scopeOf('i + 1')).toContain('meta.interpolation.mdl');
    expect(scopeOf('1}')).toContain('constant.numeric.integer.mdl');
    expect(scopeOf('.0"')).toContain(SCOPES.layerName);
    expect(scopeOf('shape')).toContain('support.variable.property.mdl');
    expect(scopeOf('"relu"')).toContain('string.quoted.double.mdl');
    for (const t of TYPE_NAMES) expect(tm.tokenize(`block b(v: ${t}) {}`)[11], t).toContain(SCOPES.type);
  });

  it('handles escapes, literal braces and comments inside strings', () => {
    const src = 'a = "x \\" {{y}} # not a comment" # a comment';
    const s = tm.tokenize(src);
    expect(s[src.indexOf('\\"')]).toContain('constant.character.escape.mdl');
    expect(s[src.indexOf('{{')]).toContain('constant.character.escape.brace.mdl');
    expect(s[src.indexOf('# not')]).not.toContain('comment.line.number-sign.mdl');
    expect(s[src.indexOf('# a')]).toContain('comment.line.number-sign.mdl');
    // An unterminated string ends at the end of its line, as in the lexer.
    const t = tm.tokenize('a = "open\nb = 1');
    expect(t[t.length - 1]).toContain('constant.numeric.integer.mdl');
  });
});
