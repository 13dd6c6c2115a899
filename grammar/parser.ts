// The .mdl grammar as a chevrotain CST parser, with error recovery so one run reports several
// syntax errors. Semantics live elsewhere (cst-to-ast.ts, then the elaborator): this file is
// only the grammar, and it is the one source of truth for syntax (diagrams and the editor
// grammar are generated from it).
import type { CstNode, IRecognitionException, IParserErrorMessageProvider, TokenType, IToken } from 'chevrotain';
import { CstParser, EOF } from './chevrotain.js';
import * as T from './lexer.js';
import { LIMITS } from '../compiler/diagnostics/limits.js';

/**
 * Thrown once the parser has collected LIMITS.syntaxErrors errors. It is not a recognition
 * exception, so chevrotain's recovery does not catch it and the whole parse stops.
 */
export class SyntaxErrorBudget extends Error {}

/** chevrotain records every recognition error through this method; it is not in its public types. */
type ErrorSaver = { SAVE_ERROR(e: IRecognitionException): IRecognitionException };

const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${T.describeTokenType(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}; expected a top-level definition (model, block, import or a constant)`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    return `unexpected ${describeToken(actual[0]!)}; expected ${RULE_DESCRIPTIONS[ruleName] ?? ruleName}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    return `unexpected ${describeToken(actual[0]!)}; expected ${RULE_DESCRIPTIONS[ruleName] ?? ruleName}`;
  },
};

const RULE_DESCRIPTIONS: Record<string, string> = {
  item: 'a top-level definition (model, block, train, space, import or a constant)',
  statement: 'a statement (an assignment, for, if, return or assert)',
  primary: 'an expression',
  expression: 'an expression',
  pattern: 'a name or a parenthesised list of names',
  importItem: 'a string path after `import` or `from`',
  argument: 'an argument',
  subscript: 'an index or a slice',
  returnStmt: 'a value after `return`',
  forStmt: 'a loop variable after `for`',
  assignStmt: 'a name to assign',
  typeExpr: 'a type such as `int` or `Tensor[B, 3, 32, 32]`',
  definition: '`model`, `block`, `train` or `space`',
  callableDefinition: '`model` or `block`',
  sectionDefinition: '`train` or `space`',
  freezeStmt: 'a layer-name pattern after `freeze`',
  backwardStmt: 'a selector after `backward`',
  param: 'a parameter name',
};

export function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return 'end of file';
  return `\`${t.image}\``;
}

export class MdlParser extends CstParser {
  /**
   * `validate` runs chevrotain's grammar checks (ambiguities, left recursion, unreachable
   * alternatives): half of the construction time, paid by every command and scoring worker at
   * start-up, for a property of this file, not of the input. A test builds it validated.
   */
  constructor(validate = false) {
    super(T.ALL_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'full',
      errorMessageProvider: errorMessages,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  /** Errors saved since the input was set (`errors` copies the list on every read). */
  private saved = 0;

  override reset(): void {
    super.reset();
    this.saved = 0;
  }

  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    if (++this.saved > LIMITS.syntaxErrors) throw new SyntaxErrorBudget();
    return (CstParser.prototype as unknown as ErrorSaver).SAVE_ERROR.call(this, error);
  }

  /** A comma continues a list unless it is a trailing comma before the closer. */
  private notTrailing(closer: TokenType): boolean {
    return !(this.LA(1).tokenType === T.Comma && this.LA(2).tokenType === closer);
  }

  program = this.RULE('program', () => {
    this.MANY(() => this.SUBRULE(this.item));
  });

  item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importItem) },
      { ALT: () => this.SUBRULE(this.definition) },
      { ALT: () => this.SUBRULE(this.constant) },
    ]);
  });

  // import "std/resnet"          — every definition of that file comes into scope
  // import "./cells.mdl" as cells — qualified: cells.node(…)
  // from "std/vit" import patch_embed, encoder_block
  importItem = this.RULE('importItem', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Import);
          this.CONSUME(T.StringLit);
          this.OPTION(() => {
            this.CONSUME(T.As);
            this.CONSUME(T.Identifier);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.From);
          this.CONSUME2(T.StringLit);
          this.CONSUME2(T.Import);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier) });
        },
      },
    ]);
  });

  constant = this.RULE('constant', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  // model m(x: Tensor[B, 3, 32, 32]) { … }   block b(x, c: int) { … }
  // train t { … } and space s { … } have no parameters: their bodies are settings.
  definition = this.RULE('definition', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.callableDefinition) },
      { ALT: () => this.SUBRULE(this.sectionDefinition) },
    ]);
  });

  sectionDefinition = this.RULE('sectionDefinition', () => {
    this.OR(T.SECTION_TOKENS.map((t) => ({ ALT: () => this.CONSUME(t) })));
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.body);
  });

  callableDefinition = this.RULE('callableDefinition', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Model) }, { ALT: () => this.CONSUME(T.Block) }]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY({
        GATE: () => this.notTrailing(T.RParen),
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.param);
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.body);
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Eq);
      this.SUBRULE(this.expression);
    });
  });

  // int, float, bool, string, list, any, Tensor, Tensor[B, 3, 32, 32], i32[B]
  typeExpr = this.RULE('typeExpr', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
      this.CONSUME(T.RBracket);
    });
  });

  body = this.RULE('body', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.ifStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.assertStmt) },
      { ALT: () => this.SUBRULE(this.freezeStmt) },
      { ALT: () => this.SUBRULE(this.backwardStmt) },
      { ALT: () => this.SUBRULE(this.assignStmt) },
    ]);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  // for i in range(4) { … }      for i, (c, n, s) in enumerate(stages) { … }
  forStmt = this.RULE('forStmt', () => {
    this.CONSUME(T.For);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.pattern) });
    this.CONSUME(T.In);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.body);
  });

  pattern = this.RULE('pattern', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.pattern) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  ifStmt = this.RULE('ifStmt', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.body);
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([{ ALT: () => this.SUBRULE(this.ifStmt) }, { ALT: () => this.SUBRULE2(this.body) }]);
    });
  });

  returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(T.Return);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
  });

  assertStmt = this.RULE('assertStmt', () => {
    this.CONSUME(T.Assert);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expression);
    });
  });

  // In a train section: freeze "features.*", "classifier.0"
  freezeStmt = this.RULE('freezeStmt', () => {
    this.CONSUME(T.Freeze);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
  });

  // In a train section: backward "layer4.*.conv*" = lbp_wht(order=4)   backward conv2d = grad_filter(2)
  backwardStmt = this.RULE('backwardStmt', () => {
    this.CONSUME(T.Backward);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Eq);
    this.SUBRULE2(this.expression);
  });

  // y = conv2d(x, 64, 3)        q, k, v = split(qkv, [3], axis=-1)
  // `model = m(…)` is how train and space sections name their model, so `model` may be assigned.
  assignStmt = this.RULE('assignStmt', () => {
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Model) }]),
    });
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  // ---- expressions, lowest precedence first ----

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpr);
  });

  orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.EqEq) },
        { ALT: () => this.CONSUME(T.NotEq) },
        { ALT: () => this.CONSUME(T.LtEq) },
        { ALT: () => this.CONSUME(T.GtEq) },
        { ALT: () => this.CONSUME(T.Lt) },
        { ALT: () => this.CONSUME(T.Gt) },
        { ALT: () => this.CONSUME(T.In) },
      ]);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.SlashSlash) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.Percent) },
        { ALT: () => this.CONSUME(T.At) },
      ]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Plus) }]);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  // `**` binds tighter than unary minus on its left and is right-associative: -2 ** 2 == -4.
  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(T.StarStar);
      this.SUBRULE(this.unary);
    });
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.callSuffix) },
        { ALT: () => this.SUBRULE(this.indexSuffix) },
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME(T.Identifier);
          },
        },
      ]);
    });
  });

  // f(x, 64, stride=2) as "conv1" — the optional `as` names the layer explicitly.
  callSuffix = this.RULE('callSuffix', () => {
    this.CONSUME(T.LParen);
    this.OPTION2(() => {
      this.SUBRULE(this.argument);
      this.MANY({
        GATE: () => this.notTrailing(T.RParen),
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.argument);
        },
      });
      this.OPTION3(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.StringLit);
    });
  });

  argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier);
      this.CONSUME(T.Eq);
    });
    this.SUBRULE(this.expression);
  });

  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.subscript) });
    this.CONSUME(T.RBracket);
  });

  // i    a:b    a:b:c    :    ::2
  subscript = this.RULE('subscript', () => {
    this.OPTION(() => this.SUBRULE(this.expression));
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.OPTION3(() => this.SUBRULE2(this.expression));
      this.OPTION4(() => {
        this.CONSUME2(T.Colon);
        this.OPTION5(() => this.SUBRULE3(this.expression));
      });
    });
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.IntLit) },
      { ALT: () => this.CONSUME(T.FloatLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.None) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.ifExpr) },
      {
        ALT: () => {
          // (e) is grouping; (e,) and (a, b) are tuples.
          this.CONSUME(T.LParen);
          this.OPTION(() => {
            this.SUBRULE(this.expression);
            this.MANY({
              GATE: () => this.notTrailing(T.RParen),
              DEF: () => {
                this.CONSUME(T.Comma);
                this.SUBRULE2(this.expression);
              },
            });
            this.OPTION2(() => this.CONSUME2(T.Comma));
          });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.OPTION3(() => {
            this.SUBRULE3(this.expression);
            this.MANY2({
              GATE: () => this.notTrailing(T.RBracket),
              DEF: () => {
                this.CONSUME3(T.Comma);
                this.SUBRULE4(this.expression);
              },
            });
            this.OPTION4(() => this.CONSUME4(T.Comma));
          });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  // if c { a } else { b } — an expression; `else` is required.
  ifExpr = this.RULE('ifExpr', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression);
    this.CONSUME(T.LBrace);
    this.SUBRULE2(this.expression);
    this.CONSUME(T.RBrace);
    this.CONSUME(T.Else);
    this.OR([
      { ALT: () => this.SUBRULE(this.ifExpr) },
      {
        ALT: () => {
          this.CONSUME2(T.LBrace);
          this.SUBRULE3(this.expression);
          this.CONSUME2(T.RBrace);
        },
      },
    ]);
  });
}

/** Building a chevrotain parser runs a grammar analysis; do it once per process. */
let instance: MdlParser | undefined;
export function getParser(): MdlParser {
  return (instance ??= new MdlParser());
}

export type { CstNode, IRecognitionException, TokenType };
