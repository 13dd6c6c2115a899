// Text → AST, with every lexing and parsing error turned into a located diagnostic. The
// parser recovers and goes on, so a file with several mistakes reports them together; errors
// that are only echoes of an earlier one (on the same line, or "expected end of file" after a
// broken definition) are dropped, so each report points at something the user must fix.
import type { ILexingError, IRecognitionException, IToken } from 'chevrotain';
import { EOF, MismatchedTokenException } from './chevrotain.js';
import { diag, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { spanAt, type SourceFile, type Span } from '../compiler/source.js';
import type { Expr, Program } from './ast.js';
import { CstToAst, InterpolationError, SyntaxProblem } from './cst-to-ast.js';
import { depthProblem, nestingProblem } from './limits.js';
import { Eq, Keyword, mdlLexer, StringLit, UnterminatedString } from './lexer.js';
import { getParser, SyntaxErrorBudget } from './parser.js';
import { formatLimit, LIMITS } from '../compiler/diagnostics/limits.js';

export interface ParseResult {
  /** Present when the file parsed without errors. */
  readonly program: Program | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function parse(src: SourceFile): ParseResult {
  const lexed = mdlLexer.tokenize(src.text);
  const diagnostics: Diagnostic[] = lexErrors(src, lexed.errors);
  const tokens = lexed.tokens.map((t) => {
    if (t.tokenType !== UnterminatedString) return t;
    diagnostics.push(diag('MDL1002', 'unterminated string', spanAt(src, t.startOffset, t.endOffset! + 1)));
    // Close it and carry on, so the rest of the file is still checked.
    return { ...t, tokenType: StringLit, tokenTypeIdx: StringLit.tokenTypeIdx!, image: t.image + '"' };
  });

  // The parser's syntax tree is large per token: a file past the token budget is refused first.
  if (tokens.length > LIMITS.tokens) {
    const t = tokens[LIMITS.tokens]!;
    const tooLong = diag(
      'MDL1009',
      `more than ${formatLimit(LIMITS.tokens)} tokens in one file`,
      spanAt(src, t.startOffset, t.endOffset! + 1),
    );
    return { program: undefined, diagnostics: [...diagnostics, tooLong] };
  }

  // The parser is recursive: a program nested deeper than its budget is refused before it runs.
  const tooDeep = nestingProblem(src, tokens);
  if (tooDeep) return { program: undefined, diagnostics: [...diagnostics, tooDeep] };

  const parser = getParser();
  parser.input = tokens;
  let cst: ReturnType<typeof parser.program> | undefined;
  try {
    cst = parser.program();
  } catch (e) {
    if (!(e instanceof SyntaxErrorBudget)) throw e;
  }
  const errors = parser.errors;
  let lastLine = -1;
  for (const e of errors) {
    const d = parseErrorDiagnostic(src, e, tokens);
    const line = d.span?.line ?? 0;
    const echo =
      line === lastLine ||
      (diagnostics.length > 0 &&
        (/expected a top-level definition|expected end of file|^expected `=`, found/.test(d.message) ||
          (d.message === 'unmatched `}`' && d.span?.col === 1)));
    if (echo) continue;
    diagnostics.push(d);
    lastLine = line;
  }
  if (cst === undefined) {
    const last = errors[errors.length - 1]!;
    diagnostics.push(
      diag(
        'MDL1008',
        `more than ${formatLimit(LIMITS.syntaxErrors)} syntax errors; stopped reading here`,
        tokenSpan(src, last.token),
      ),
    );
    return { program: undefined, diagnostics };
  }

  if (diagnostics.length > 0) return { program: undefined, diagnostics };
  try {
    const conv = new CstToAst(src, (text, offset) => parseInterpolation(src, text, offset));
    const program = conv.program(cst, (lexed.groups['comments'] as IToken[] | undefined) ?? []);
    // Every pass over the tree (elaborator, formatter, printers) recurses on it.
    const deep = depthProblem(program);
    if (deep) return { program: undefined, diagnostics: [deep] };
    return { program, diagnostics };
  } catch (e) {
    if (e instanceof SyntaxProblem)
      return { program: undefined, diagnostics: [diag(e.opts.code, e.message, e.span, { hint: e.opts.hint })] };
    if (e instanceof InterpolationError)
      return {
        program: undefined,
        diagnostics: [
          diag('MDL1006', 'invalid string interpolation: a `{` without its `}`, or a bad expression inside', e.span),
        ],
      };
    throw e;
  }
}

/** Unexpected characters, one diagnostic per run of them; a single-quoted string is one. */
function lexErrors(src: SourceFile, errors: readonly ILexingError[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let skipUntil = -1;
  for (const e of errors) {
    if (e.offset < skipUntil) continue;
    const ch = src.text[e.offset]!;
    if (ch === "'") {
      const close = src.text.indexOf("'", e.offset + 1);
      const eol = src.text.indexOf('\n', e.offset);
      const end = close >= 0 && (eol < 0 || close < eol) ? close + 1 : e.offset + 1;
      skipUntil = end;
      out.push(
        diag('MDL1001', 'strings use double quotes', spanAt(src, e.offset, end), {
          hint: `write ${JSON.stringify(src.text.slice(e.offset + 1, end - 1))}`,
        }),
      );
      continue;
    }
    out.push(
      diag(
        'MDL1001',
        `unexpected character \`${src.text.slice(e.offset, e.offset + e.length)}\``,
        spanAt(src, e.offset, e.offset + Math.max(1, e.length)),
        {
          ...(ch === '!'
            ? { hint: 'write `not x` for negation and `!=` for inequality' }
            : ch === '&' || ch === '|'
              ? { hint: 'write `and` / `or`' }
              : {}),
        },
      ),
    );
  }
  return out;
}

function tokenSpan(src: SourceFile, t: IToken): Span {
  if (t.tokenType === EOF || Number.isNaN(t.startOffset)) {
    const end = src.text.replace(/\s+$/, '').length;
    return spanAt(src, end, end + 1);
  }
  return spanAt(src, t.startOffset, t.endOffset! + 1);
}

const CLOSERS = new Set([')', ']', '}']);

/**
 * Where `t` is in `tokens` (-1 for the end of file), by binary search on the offset: the tokens
 * are in source order, and a file with many errors asks once per error.
 */
function tokenIndex(tokens: readonly IToken[], t: IToken): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = tokens[mid]!;
    if (m === t) return mid;
    if (m.startOffset < t.startOffset) lo = mid + 1;
    else hi = mid - 1;
  }
  return tokens.indexOf(t);
}

function parseErrorDiagnostic(src: SourceFile, e: IRecognitionException, tokens: readonly IToken[]): Diagnostic {
  const t = e.token;
  const mismatch = e instanceof MismatchedTokenException;
  const at = tokenIndex(tokens, t);
  const next = tokens[at + 1];
  const prev = at > 0 ? tokens[at - 1] : undefined;
  const beforePrev = at > 1 ? tokens[at - 2] : undefined;
  // Words people bring from Python.
  if (t.image === 'elif')
    return diag('MDL1003', '`elif` is not a keyword in mdl', tokenSpan(src, t), { hint: 'write `else if`' });
  if (prev?.image === 'elif')
    return diag('MDL1003', '`elif` is not a keyword in mdl', tokenSpan(src, prev), { hint: 'write `else if`' });
  // `x = a +` at the end of a line swallows the next statement's name; say so on the right line.
  if (
    t.image === '=' &&
    prev &&
    beforePrev &&
    prev.tokenType.name === 'Identifier' &&
    (prev.startLine ?? 0) > (beforePrev.endLine ?? 0)
  ) {
    const end = beforePrev.endOffset! + 1;
    return diag(
      'MDL1003',
      `the expression ending in \`${beforePrev.image}\` is incomplete`,
      spanAt(src, end, end + 1),
      {
        hint: 'finish the expression on this line; a new statement cannot start in the middle of one',
      },
    );
  }
  if (t.image === 'def' || t.image === 'class')
    return diag('MDL1003', `\`${t.image}\` is not a keyword in mdl`, tokenSpan(src, t), {
      hint: 'define layers with `block name(…) { … }` and networks with `model name(…) { … }`',
    });
  // A keyword used as a variable: `block = …`.
  if (t.tokenType.CATEGORIES?.includes(Keyword) && next?.tokenType === Eq)
    return diag('MDL1003', `\`${t.image}\` is a keyword and cannot be used as a name`, tokenSpan(src, t), {
      hint: `choose another name, e.g. \`${t.image}_\``,
    });
  // A missing closer is reported where it belongs: right after the last token before it.
  const expectedCloser = /^expected `([)\]}])`/.exec(e.message);
  if (mismatch && expectedCloser && prev && prev.endLine !== undefined && (t.startLine ?? 0) > prev.endLine) {
    const end = prev.endOffset! + 1;
    return diag('MDL1004', `expected \`${expectedCloser[1]}\` after ${describe(prev)}`, spanAt(src, end, end + 1), {
      hint: `the \`${opener(expectedCloser[1]!)}\` before it is never closed`,
    });
  }
  if (CLOSERS.has(t.image) && expectedCloser?.[1] !== t.image)
    return diag('MDL1003', `unmatched \`${t.image}\``, tokenSpan(src, t), {
      hint: 'remove it, or add the bracket that opens it',
    });
  const hints: string[] = [];
  const COMPARE = new Set(['<', '<=', '>', '>=', '==', '!=']);
  if (COMPARE.has(t.image) && tokens.slice(Math.max(0, at - 4), at).some((p) => COMPARE.has(p.image)))
    return diag('MDL1003', `comparisons do not chain: \`${t.image}\` after another comparison`, tokenSpan(src, t), {
      hint: 'write `a < b and b < c`',
    });
  if (t.image === '=' && /found `=`/.test(e.message) && next?.tokenType !== Eq)
    hints.push('use `==` to compare; `=` only binds a name at the start of a statement');
  if (t.image === ':' && /found `:`/.test(e.message)) hints.push('blocks use braces: `{ … }`');
  return diag(mismatch ? 'MDL1004' : 'MDL1003', e.message, tokenSpan(src, t), hints.length ? { hint: hints[0]! } : {});
}

function describe(t: IToken): string {
  return `\`${t.image}\``;
}

function opener(closer: string): string {
  return closer === ')' ? '(' : closer === ']' ? '[' : '{';
}

/** Parses the expression inside a `{…}` string interpolation, keeping absolute offsets. */
function parseInterpolation(src: SourceFile, text: string, offset: number): Expr {
  const lexed = mdlLexer.tokenize(text);
  const bad = () => new InterpolationError(spanAt(src, offset, offset + Math.max(1, text.length)));
  if (lexed.errors.length > 0 || lexed.tokens.length === 0 || nestingProblem(src, lexed.tokens)) throw bad();
  const shifted = lexed.tokens.map((t) => ({
    ...t,
    startOffset: t.startOffset + offset,
    endOffset: (t.endOffset ?? t.startOffset) + offset,
  }));
  const parser = getParser();
  // The outer parse has finished with the parser's state, so reusing the instance is safe.
  parser.input = shifted;
  let cst: ReturnType<typeof parser.expression>;
  try {
    cst = parser.expression();
  } catch (e) {
    // An expression parsed on its own resyncs to the end at its first error, so this is not
    // expected; were it reached, it is still the user's bad interpolation, not a crash.
    if (e instanceof SyntaxErrorBudget) throw bad();
    throw e;
  }
  if (parser.errors.length > 0) throw bad();
  return new CstToAst(src, (t, o) => parseInterpolation(src, t, o)).expression(cst);
}
