// The syntax's budgets (compiler/diagnostics/limits.ts): how deep a program may nest. The parser
// and every pass over the syntax tree (formatter, elaborator, printers) are recursive, so a
// program nested deeper than the stack allows is refused here, with the place it goes too deep,
// before any of them runs.
import type { IToken, TokenType } from 'chevrotain';
import { diag, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { formatLimit, LIMITS } from '../compiler/diagnostics/limits.js';
import { spanAt, type SourceFile, type Span } from '../compiler/source.js';
import type { Program } from './ast.js';
import * as T from './lexer.js';

const OPENERS: ReadonlySet<TokenType> = new Set([T.LParen, T.LBracket, T.LBrace]);
const CLOSERS: ReadonlySet<TokenType> = new Set([T.RParen, T.RBracket, T.RBrace]);
/** Tokens after which `-` and `+` are binary: the end of an operand. */
const OPERAND_ENDS: ReadonlySet<TokenType> = new Set([
  T.Identifier,
  T.IntLit,
  T.FloatLit,
  T.StringLit,
  T.True,
  T.False,
  T.None,
  T.RParen,
  T.RBracket,
  T.RBrace,
]);
/** Tokens that end a run of nesting operators: what follows starts a new operand or statement. */
const RESETS: ReadonlySet<TokenType> = new Set([T.Comma, T.Semicolon, T.Eq, T.Colon]);

/** The opener each closer matches. */
const MATCH: ReadonlyMap<TokenType, TokenType> = new Map([
  [T.RParen, T.LParen],
  [T.RBracket, T.LBracket],
  [T.RBrace, T.LBrace],
]);

/**
 * The first place the tokens nest too deep for the parser: brackets open at once, or a run of
 * operators that nest without brackets (`not`, prefix `-`/`+`, `**`, `else if`), counted per
 * bracket level since the last comma, `=` or statement end. Undefined when within the limits.
 *
 * A closer counts as the parser's error recovery takes it: one that matches an open bracket
 * closes it and any opened after it (the parser inserts their missing closers), and one that
 * matches none is skipped (the parser deletes it). A stray `]` must not close the `{` before it:
 * a fuzzing input of 1,000 lines `for i in f([1] ]) {` nested 1,000 blocks deep in the parser
 * and overflowed its stack while a count that let every `]` close something saw depth 3.
 */
export function nestingProblem(src: SourceFile, tokens: readonly IToken[]): Diagnostic | undefined {
  const chains: number[] = [0];
  const open: TokenType[] = [];
  let stray: IToken | undefined;
  let prev: TokenType | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const type = t.tokenType;
    const at = () => spanAt(src, t.startOffset, (t.endOffset ?? t.startOffset) + 1);
    if (OPENERS.has(type)) {
      if (chains.length > LIMITS.brackets) {
        const s = stray;
        return diag(
          'MDL1007',
          `brackets nested more than ${LIMITS.brackets} deep`,
          at(),
          s
            ? {
                notes: [
                  {
                    message: `this \`${s.image}\` closes no open bracket, so the brackets before it stay open`,
                    span: spanAt(src, s.startOffset, (s.endOffset ?? s.startOffset) + 1),
                  },
                ],
              }
            : {},
        );
      }
      chains.push(0);
      open.push(type);
    } else if (CLOSERS.has(type)) {
      const k = open.lastIndexOf(MATCH.get(type)!);
      if (k < 0) stray ??= t;
      else {
        open.length = k;
        chains.length = k + 1;
      }
      // A statement that ends with `}` and no `else` after it ends the chain of its level.
      if (type === T.RBrace && tokens[i + 1]?.tokenType !== T.Else) chains[chains.length - 1] = 0;
    } else if (RESETS.has(type)) {
      chains[chains.length - 1] = 0;
    } else if (
      type === T.Not ||
      type === T.StarStar ||
      type === T.Else ||
      ((type === T.Minus || type === T.Plus) && (prev === undefined || !OPERAND_ENDS.has(prev)))
    ) {
      const n = ++chains[chains.length - 1]!;
      if (n > LIMITS.operatorChain)
        return diag('MDL1007', `more than ${formatLimit(LIMITS.operatorChain)} operators nested in a row`, at());
    }
    prev = type;
  }
  return undefined;
}

/** A syntax-tree node: an object with a `kind` (spans and comments have none). */
function isNode(x: object): x is { readonly kind: string; readonly span?: Span } {
  return typeof (x as { kind?: unknown }).kind === 'string';
}

/**
 * The first node nested deeper than the syntax budget (walked without recursion), as a
 * diagnostic at that node; undefined when the tree is within it.
 */
export function depthProblem(program: Program): Diagnostic | undefined {
  const stack: [object, number][] = [[program, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    const d = isNode(x) ? depth + 1 : depth;
    if (d > LIMITS.syntaxDepth && isNode(x) && x.span)
      return diag('MDL1007', `expressions and statements nested more than ${LIMITS.syntaxDepth} deep`, x.span, {
        hint: 'a chain such as `a + b + …` or `x.shape[0]…` nests one level per operator; name intermediate values with assignments',
      });
    for (const [k, y] of Object.entries(x))
      if (typeof y === 'object' && y !== null && !k.endsWith('pan')) stack.push([y, d]);
  }
  return undefined;
}
