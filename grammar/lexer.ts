// The .mdl lexer. Whitespace and newlines carry no meaning (statements are delimited by their
// own structure), and `#` comments are kept in a separate group so the formatter can restore
// them. Keywords are identifiers with a longer_alt, so `format` is a name and `for` is not.
import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'name' });

/** The token name of a keyword (`train` → `Train`): what CST nodes key its tokens by. */
export const keywordName = (word: string): string => word[0]!.toUpperCase() + word.slice(1);

function keyword(word: string): TokenType {
  return createToken({
    name: keywordName(word),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Keyword],
  });
}
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA });

export const Model = keyword('model');
export const Block = keyword('block');
export const Import = keyword('import');
export const From = keyword('from');
export const As = keyword('as');
export const For = keyword('for');
export const In = keyword('in');
export const If = keyword('if');
export const Else = keyword('else');
export const Return = keyword('return');
export const Assert = keyword('assert');
export const True = keyword('true');
export const False = keyword('false');
export const None = keyword('none');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
/**
 * The section kinds: `kind name { settings }`, no parameters. `space` sections enumerate
 * candidates; the others are settings sections, evaluated with the vocabulary the layer above
 * gives each kind (compiler/sections.ts). A new kind is one entry here (its keyword) and its
 * vocabulary there; `tsc` asks for the latter.
 */
export const SECTION_KINDS = ['train', 'space', 'search', 'explore', 'unlearn'] as const;
export type SectionKind = (typeof SECTION_KINDS)[number];
export const SECTION_TOKENS: readonly TokenType[] = SECTION_KINDS.map((k) => keyword(k));
export const Freeze = keyword('freeze');
export const Backward = keyword('backward');

export const KEYWORDS = [
  Model,
  Block,
  Import,
  From,
  As,
  For,
  In,
  If,
  Else,
  Return,
  Assert,
  True,
  False,
  None,
  And,
  Or,
  Not,
  ...SECTION_TOKENS,
  Freeze,
  Backward,
];

// A float needs a dot or an exponent; `1.` is not a float, so `x[1:]` style stays unambiguous.
export const FloatLit = createToken({
  name: 'Float',
  pattern: /(?:\d[\d_]*\.\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+)/,
});
export const IntLit = createToken({ name: 'Int', pattern: /\d[\d_]*/ });
export const StringLit = createToken({ name: 'String', pattern: /"(?:[^"\\\n]|\\.)*"/ });
/** A string with no closing quote on its line: lexed as its own token so the error is precise. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n]|\\.)*/ });

export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const StarStar = createToken({ name: 'StarStar', pattern: /\*\*/, label: "'**'" });
export const SlashSlash = createToken({ name: 'SlashSlash', pattern: /\/\//, label: "'//'" });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='" });
export const LtEq = createToken({ name: 'LtEq', pattern: /<=/, label: "'<='" });
export const GtEq = createToken({ name: 'GtEq', pattern: />=/, label: "'>='" });
export const Lt = createToken({ name: 'Lt', pattern: /</, label: "'<'" });
export const Gt = createToken({ name: 'Gt', pattern: />/, label: "'>'" });
export const Eq = createToken({ name: 'Eq', pattern: /=/, label: "'='" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const Percent = createToken({ name: 'Percent', pattern: /%/, label: "'%'" });
export const At = createToken({ name: 'At', pattern: /@/, label: "'@'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });

/** Order matters: longer operators before their prefixes, keywords before identifiers. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLit,
  UnterminatedString,
  FloatLit,
  IntLit,
  Keyword,
  // Longest first, so `assert` is not lexed as `as` + a name.
  ...[...KEYWORDS].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  Arrow,
  StarStar,
  SlashSlash,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Lt,
  Gt,
  Eq,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  At,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  Dot,
];

/**
 * The lexer. `validate` runs chevrotain's checks of the token definitions (unreachable or
 * conflicting patterns): a third of the construction time, paid by every command and scoring
 * worker at start-up, for a property of this file, not of the input. A test builds it validated.
 */
export function createLexer(validate = false): InstanceType<typeof Lexer> {
  return new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false, skipValidations: !validate });
}

export const mdlLexer = createLexer();

/** How a token is named in error messages. */
export function describeTokenType(t: TokenType): string {
  const pattern = (t as { PATTERN?: unknown }).PATTERN;
  if (t.name === 'Identifier') return 'a name';
  if (t.name === 'Int') return 'an integer';
  if (t.name === 'Float') return 'a number';
  if (t.name === 'String') return 'a string';
  if (t.name === 'EOF') return 'end of file';
  if (pattern instanceof RegExp) return '`' + pattern.source.replace(/\\/g, '') + '`';
  return t.name;
}
