// Text → AST, with every lexing and parsing error turned into a located diagnostic.
import { EOF, MismatchedTokenException, type IToken } from 'chevrotain';
import { diag, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { spanAt, type SourceFile, type Span } from '../compiler/source.js';
import type { Expr, Program } from './ast.js';
import { CstToAst, InterpolationError } from './cst-to-ast.js';
import { mdlLexer, StringLit, UnterminatedString } from './lexer.js';
import { getParser } from './parser.js';

export interface ParseResult {
  /** Present when the file parsed without errors. */
  readonly program: Program | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function parse(src: SourceFile): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = mdlLexer.tokenize(src.text);
  for (const e of lexed.errors) {
    const ch = src.text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      diag('MDL1001', `unexpected character \`${ch}\``, spanAt(src, e.offset, e.offset + Math.max(1, e.length)), {
        hint: ch === "'" ? 'strings use double quotes: "…"' : ch === '!' ? 'write `not x` for negation' : undefined,
      } as { hint?: string }),
    );
  }
  const tokens = lexed.tokens.map((t) => {
    if (t.tokenType !== UnterminatedString) return t;
    diagnostics.push(diag('MDL1002', 'unterminated string', spanAt(src, t.startOffset, t.endOffset! + 1)));
    // Close it and carry on, so the rest of the file is still checked.
    return { ...t, tokenType: StringLit, image: t.image + '"' };
  });

  const parser = getParser();
  parser.input = tokens;
  const cst = parser.program();
  for (const e of parser.errors) diagnostics.push(parseErrorDiagnostic(src, e.token, e.message, e instanceof MismatchedTokenException));

  if (diagnostics.length > 0) return { program: undefined, diagnostics };
  try {
    const conv = new CstToAst(src, (text, offset) => parseInterpolation(src, text, offset));
    return { program: conv.program(cst, (lexed.groups['comments'] as IToken[] | undefined) ?? []), diagnostics };
  } catch (e) {
    if (e instanceof InterpolationError) return { program: undefined, diagnostics: [diag('MDL1006', 'invalid string interpolation', e.span)] };
    throw e;
  }
}

function tokenSpan(src: SourceFile, t: IToken): Span {
  if (t.tokenType === EOF || Number.isNaN(t.startOffset)) {
    const end = src.text.replace(/\s+$/, '').length;
    return spanAt(src, end, end + 1);
  }
  return spanAt(src, t.startOffset, t.endOffset! + 1);
}

function parseErrorDiagnostic(src: SourceFile, t: IToken, message: string, mismatch: boolean): Diagnostic {
  const hints: string[] = [];
  if (t.image === '=' && /found `=`/.test(message)) hints.push('use `==` to compare; `=` only binds a name at the start of a statement');
  if (t.image === ':' && /found `:`/.test(message)) hints.push('blocks use braces: `{ … }`');
  return diag(mismatch ? 'MDL1004' : 'MDL1003', message, tokenSpan(src, t), hints.length ? { hint: hints[0]! } : {});
}

/** Parses the expression inside a `{…}` string interpolation, keeping absolute offsets. */
function parseInterpolation(src: SourceFile, text: string, offset: number): Expr {
  const lexed = mdlLexer.tokenize(text);
  const bad = () => new InterpolationError(spanAt(src, offset, offset + Math.max(1, text.length)));
  if (lexed.errors.length > 0 || lexed.tokens.length === 0) throw bad();
  const shifted = lexed.tokens.map((t) => ({ ...t, startOffset: t.startOffset + offset, endOffset: (t.endOffset ?? t.startOffset) + offset }));
  const parser = getParser();
  // The outer parse has finished with the parser's state, so reusing the instance is safe.
  parser.input = shifted;
  const cst = parser.expression();
  if (parser.errors.length > 0) throw bad();
  return new CstToAst(src, (t, o) => parseInterpolation(src, t, o)).expression(cst);
}
