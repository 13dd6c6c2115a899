// The .mdl abstract syntax tree. Plain data, no behaviour: the formatter prints it, the
// elaborator evaluates it. Every node has a span.
import type { Span } from '../compiler/source.js';
import type { SectionKind } from './lexer.js';

export type BinaryOp =
  '+' | '-' | '*' | '/' | '//' | '%' | '@' | '**' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'and' | 'or';
export type UnaryOp = '-' | '+' | 'not';

export type Expr =
  /** `text` keeps the literal as written (`1_000`), for the formatter. */
  | { readonly kind: 'int'; readonly value: number; readonly text: string; readonly span: Span }
  | { readonly kind: 'float'; readonly value: number; readonly text: string; readonly span: Span }
  /** `parts` alternates literal text and interpolated expressions (`"layer{i + 1}"`). */
  | { readonly kind: 'string'; readonly parts: readonly (string | Expr)[]; readonly raw: string; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'none'; readonly span: Span }
  | { readonly kind: 'name'; readonly name: string; readonly span: Span }
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'paren'; readonly inner: Expr; readonly span: Span }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Expr; readonly span: Span }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly opSpan: Span;
      readonly span: Span;
    }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly span: Span }
  | {
      readonly kind: 'call';
      readonly callee: Expr;
      readonly args: readonly Arg[];
      readonly layerName?: Expr;
      readonly span: Span;
    }
  | { readonly kind: 'index'; readonly target: Expr; readonly subscripts: readonly Subscript[]; readonly span: Span }
  | {
      readonly kind: 'member';
      readonly target: Expr;
      readonly name: string;
      readonly nameSpan: Span;
      readonly span: Span;
    };

export interface Arg {
  readonly kind: 'arg';
  readonly name?: string;
  readonly nameSpan?: Span;
  readonly value: Expr;
  readonly span: Span;
}

export type Subscript =
  | { readonly kind: 'at'; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'slice'; readonly start?: Expr; readonly end?: Expr; readonly step?: Expr; readonly span: Span };

export type Pattern =
  | { readonly kind: 'name'; readonly name: string; readonly span: Span }
  | { readonly kind: 'tuple'; readonly items: readonly Pattern[]; readonly span: Span };

export interface Target {
  readonly name: string;
  readonly span: Span;
}

export type Stmt =
  | { readonly kind: 'assign'; readonly targets: readonly Target[]; readonly value: Expr; readonly span: Span }
  | {
      readonly kind: 'for';
      readonly patterns: readonly Pattern[];
      readonly iter: Expr;
      readonly body: readonly Stmt[];
      readonly span: Span;
    }
  | {
      readonly kind: 'if';
      readonly cond: Expr;
      readonly then: readonly Stmt[];
      readonly else?: readonly Stmt[];
      readonly span: Span;
    }
  | { readonly kind: 'return'; readonly values: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'assert'; readonly cond: Expr; readonly message?: Expr; readonly span: Span }
  /** `freeze "features.*"` (train sections): parameters that get no gradient. */
  | { readonly kind: 'freeze'; readonly patterns: readonly Expr[]; readonly span: Span }
  /** `backward "layer4.*" = lbp_wht(order=4)` (train sections): a backward rewrite rule. */
  | { readonly kind: 'backward'; readonly selector: Expr; readonly strategy: Expr; readonly span: Span };

export interface TypeExpr {
  readonly kind: 'type';
  readonly name: string;
  readonly dims?: readonly Expr[];
  readonly span: Span;
}

export interface Param {
  readonly kind: 'param';
  readonly name: string;
  readonly type?: TypeExpr;
  readonly default?: Expr;
  readonly span: Span;
}

export type Item =
  | {
      readonly kind: 'import';
      readonly path: string;
      readonly pathSpan: Span;
      readonly alias?: Target;
      readonly span: Span;
    }
  | {
      readonly kind: 'from';
      readonly path: string;
      readonly pathSpan: Span;
      readonly names: readonly Target[];
      readonly span: Span;
    }
  | {
      readonly kind: 'const';
      readonly name: string;
      readonly nameSpan: Span;
      readonly value: Expr;
      readonly span: Span;
    }
  | Definition;

/** `model` and `block` take parameters; sections (`train`, `space`, …) have none. */
export interface Definition {
  readonly kind: 'model' | 'block' | SectionKind;
  readonly name: string;
  readonly nameSpan: Span;
  readonly params: readonly Param[];
  readonly body: readonly Stmt[];
  readonly span: Span;
}

export interface Comment {
  readonly text: string;
  readonly span: Span;
}

export interface Program {
  readonly kind: 'program';
  readonly file: string;
  readonly items: readonly Item[];
  readonly comments: readonly Comment[];
}
