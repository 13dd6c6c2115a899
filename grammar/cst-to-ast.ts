// CST → AST. chevrotain groups a node's children by name, so where the grammar interleaves
// different children (operators and operands, postfix suffixes) they are re-ordered here by
// source offset.
import type { CstNode, IToken } from 'chevrotain';
import { spanAt, type SourceFile, type Span } from '../compiler/source.js';
import { keywordName, SECTION_KINDS } from './lexer.js';
import type {
  Arg,
  BinaryOp,
  Definition,
  Expr,
  Item,
  Param,
  Pattern,
  Program,
  Stmt,
  Subscript,
  Target,
  TypeExpr,
  Comment,
} from './ast.js';

type Child = CstNode | IToken;

function isToken(c: Child): c is IToken {
  return (c as IToken).image !== undefined;
}

export class CstToAst {
  constructor(
    private readonly src: SourceFile,
    /** Parses the text of a `{…}` interpolation at an absolute offset. */
    private readonly parseInterpolation: (text: string, offset: number) => Expr,
  ) {}

  private tokSpan(t: IToken): Span {
    return spanAt(this.src, t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  private nodeSpan(n: CstNode): Span {
    const l = n.location!;
    return spanAt(this.src, l.startOffset, (l.endOffset ?? l.startOffset) + 1);
  }

  private nodes(n: CstNode, key: string): CstNode[] {
    return (n.children[key] as CstNode[] | undefined) ?? [];
  }

  private tokens(n: CstNode, key: string): IToken[] {
    return (n.children[key] as IToken[] | undefined) ?? [];
  }

  private node(n: CstNode, key: string): CstNode {
    return this.nodes(n, key)[0]!;
  }

  private token(n: CstNode, key: string): IToken {
    return this.tokens(n, key)[0]!;
  }

  /** All children of the given names, in source order. */
  private ordered(n: CstNode, keys: string[]): { key: string; child: Child }[] {
    const out: { key: string; child: Child; at: number }[] = [];
    for (const key of keys)
      for (const child of (n.children[key] as Child[] | undefined) ?? [])
        out.push({ key, child, at: isToken(child) ? child.startOffset : child.location!.startOffset });
    return out.sort((a, b) => a.at - b.at);
  }

  program(cst: CstNode, comments: IToken[]): Program {
    return {
      kind: 'program',
      file: this.src.path,
      items: this.nodes(cst, 'item').map((i) => this.item(i)),
      comments: comments.map((c): Comment => ({ text: c.image, span: this.tokSpan(c) })),
    };
  }

  private item(n: CstNode): Item {
    const [k, c] = Object.entries(n.children)[0]! as [string, CstNode[]];
    const node = c[0]!;
    if (k === 'importItem') return this.importItem(node);
    if (k === 'definition') return this.definition(node);
    const name = this.token(node, 'Identifier');
    return {
      kind: 'const',
      name: name.image,
      nameSpan: this.tokSpan(name),
      value: this.expression(this.node(node, 'expression')),
      span: this.nodeSpan(node),
    };
  }

  private importItem(n: CstNode): Item {
    const str = this.token(n, 'String');
    const path = unquote(str.image);
    const span = this.nodeSpan(n);
    const ids = this.tokens(n, 'Identifier').map((t): Target => ({ name: t.image, span: this.tokSpan(t) }));
    if (this.tokens(n, 'From').length > 0) return { kind: 'from', path, pathSpan: this.tokSpan(str), names: ids, span };
    return ids.length > 0
      ? { kind: 'import', path, pathSpan: this.tokSpan(str), alias: ids[0]!, span }
      : { kind: 'import', path, pathSpan: this.tokSpan(str), span };
  }

  private definition(outer: CstNode): Definition {
    const section = this.nodes(outer, 'sectionDefinition')[0];
    if (section) {
      const name = this.token(section, 'Identifier');
      return {
        kind: SECTION_KINDS.find((k) => this.tokens(section, keywordName(k)).length > 0)!,
        name: name.image,
        nameSpan: this.tokSpan(name),
        params: [],
        body: this.body(this.node(section, 'body')),
        span: this.nodeSpan(outer),
      };
    }
    const n = this.node(outer, 'callableDefinition');
    const name = this.token(n, 'Identifier');
    return {
      kind: this.tokens(n, 'Model').length > 0 ? 'model' : 'block',
      name: name.image,
      nameSpan: this.tokSpan(name),
      params: this.nodes(n, 'param').map((p) => this.param(p)),
      body: this.body(this.node(n, 'body')),
      span: this.nodeSpan(n),
    };
  }

  private param(n: CstNode): Param {
    const name = this.token(n, 'Identifier');
    const t = this.nodes(n, 'typeExpr')[0];
    const d = this.nodes(n, 'expression')[0];
    return {
      kind: 'param',
      name: name.image,
      ...(t ? { type: this.typeExpr(t) } : {}),
      ...(d ? { default: this.expression(d) } : {}),
      span: this.nodeSpan(n),
    };
  }

  private typeExpr(n: CstNode): TypeExpr {
    const name = this.token(n, 'Identifier').image;
    const hasDims = this.tokens(n, 'LBracket').length > 0;
    return {
      kind: 'type',
      name,
      ...(hasDims ? { dims: this.nodes(n, 'expression').map((e) => this.expression(e)) } : {}),
      span: this.nodeSpan(n),
    };
  }

  private body(n: CstNode): Stmt[] {
    return this.nodes(n, 'statement').map((s) => this.statement(s));
  }

  private statement(n: CstNode): Stmt {
    const [k, c] = Object.entries(n.children).find(([key]) => key !== 'Semicolon')! as [string, CstNode[]];
    const s = c[0]!;
    const span = this.nodeSpan(s);
    switch (k) {
      case 'forStmt':
        return {
          kind: 'for',
          patterns: this.nodes(s, 'pattern').map((p) => this.pattern(p)),
          iter: this.expression(this.node(s, 'expression')),
          body: this.body(this.node(s, 'body')),
          span,
        };
      case 'ifStmt':
        return this.ifStmt(s);
      case 'returnStmt':
        return { kind: 'return', values: this.nodes(s, 'expression').map((e) => this.expression(e)), span };
      case 'freezeStmt':
        return { kind: 'freeze', patterns: this.nodes(s, 'expression').map((e) => this.expression(e)), span };
      case 'backwardStmt': {
        const [sel, strat] = this.nodes(s, 'expression');
        return { kind: 'backward', selector: this.expression(sel!), strategy: this.expression(strat!), span };
      }
      case 'assertStmt': {
        const es = this.nodes(s, 'expression');
        return {
          kind: 'assert',
          cond: this.expression(es[0]!),
          ...(es[1] ? { message: this.expression(es[1]) } : {}),
          span,
        };
      }
      default:
        return {
          kind: 'assign',
          targets: [...this.tokens(s, 'Identifier'), ...this.tokens(s, 'Model')]
            .sort((a, b) => a.startOffset - b.startOffset)
            .map((t) => ({ name: t.image, span: this.tokSpan(t) })),
          value: this.expression(this.node(s, 'expression')),
          span,
        };
    }
  }

  private ifStmt(s: CstNode): Stmt {
    const bodies = this.nodes(s, 'body');
    const nested = this.nodes(s, 'ifStmt')[0];
    const elseBody = nested ? [this.ifStmt(nested)] : bodies[1] ? this.body(bodies[1]) : undefined;
    return {
      kind: 'if',
      cond: this.expression(this.node(s, 'expression')),
      then: this.body(bodies[0]!),
      ...(elseBody ? { else: elseBody } : {}),
      span: this.nodeSpan(s),
    };
  }

  private pattern(n: CstNode): Pattern {
    const id = this.tokens(n, 'Identifier')[0];
    if (id) return { kind: 'name', name: id.image, span: this.tokSpan(id) };
    return { kind: 'tuple', items: this.nodes(n, 'pattern').map((p) => this.pattern(p)), span: this.nodeSpan(n) };
  }

  expression(n: CstNode): Expr {
    return this.orExpr(this.node(n, 'orExpr'));
  }

  private chain(n: CstNode, operand: string, ops: string[], sub: (c: CstNode) => Expr): Expr {
    const parts = this.ordered(n, [operand, ...ops]);
    let left = sub(parts[0]!.child as CstNode);
    for (let i = 1; i < parts.length; i += 2) {
      const opTok = parts[i]!.child as IToken;
      const right = sub(parts[i + 1]!.child as CstNode);
      left = {
        kind: 'binary',
        op: opTok.image as BinaryOp,
        left,
        right,
        opSpan: this.tokSpan(opTok),
        span: { ...left.span, end: right.span.end },
      };
    }
    return left;
  }

  private orExpr(n: CstNode): Expr {
    return this.chain(n, 'andExpr', ['Or'], (c) => this.andExpr(c));
  }

  private andExpr(n: CstNode): Expr {
    return this.chain(n, 'notExpr', ['And'], (c) => this.notExpr(c));
  }

  private notExpr(n: CstNode): Expr {
    const inner = this.nodes(n, 'notExpr')[0];
    if (inner) return { kind: 'unary', op: 'not', operand: this.notExpr(inner), span: this.nodeSpan(n) };
    return this.comparison(this.node(n, 'comparison'));
  }

  private comparison(n: CstNode): Expr {
    return this.chain(n, 'additive', ['EqEq', 'NotEq', 'LtEq', 'GtEq', 'Lt', 'Gt', 'In'], (c) => this.additive(c));
  }

  private additive(n: CstNode): Expr {
    return this.chain(n, 'multiplicative', ['Plus', 'Minus'], (c) => this.multiplicative(c));
  }

  private multiplicative(n: CstNode): Expr {
    return this.chain(n, 'unary', ['Star', 'SlashSlash', 'Slash', 'Percent', 'At'], (c) => this.unary(c));
  }

  private unary(n: CstNode): Expr {
    const inner = this.nodes(n, 'unary')[0];
    if (inner) {
      const op = (this.tokens(n, 'Minus')[0] ?? this.tokens(n, 'Plus')[0])!;
      const operand = this.unary(inner);
      // Fold negative literals so `-1` is a literal (it prints and hashes as one).
      if (op.image === '-' && operand.kind === 'int')
        return { kind: 'int', value: -operand.value, text: '-' + operand.text, span: this.nodeSpan(n) };
      if (op.image === '-' && operand.kind === 'float')
        return { kind: 'float', value: -operand.value, text: '-' + operand.text, span: this.nodeSpan(n) };
      return { kind: 'unary', op: op.image as '-' | '+', operand, span: this.nodeSpan(n) };
    }
    return this.power(this.node(n, 'power'));
  }

  private power(n: CstNode): Expr {
    const base = this.postfix(this.node(n, 'postfix'));
    const exp = this.nodes(n, 'unary')[0];
    if (!exp) return base;
    const tok = this.token(n, 'StarStar');
    const right = this.unary(exp);
    return { kind: 'binary', op: '**', left: base, right, opSpan: this.tokSpan(tok), span: this.nodeSpan(n) };
  }

  private postfix(n: CstNode): Expr {
    let e = this.primary(this.node(n, 'primary'));
    const start = e.span;
    const parts = this.ordered(n, ['callSuffix', 'indexSuffix', 'Identifier']);
    for (const { key, child } of parts) {
      if (key === 'callSuffix') {
        const c = child as CstNode;
        const end = this.nodeSpan(c).end;
        const as = this.tokens(c, 'String')[0];
        e = {
          kind: 'call',
          callee: e,
          args: this.nodes(c, 'argument').map((a) => this.argument(a)),
          ...(as ? { layerName: this.stringLit(as) } : {}),
          span: { ...start, end },
        };
      } else if (key === 'indexSuffix') {
        const c = child as CstNode;
        // The grammar lets every part of a subscript be absent; one with no part at all is `x[]`.
        if (this.nodes(c, 'subscript').some((s) => Object.keys(s.children).length === 0))
          throw new SyntaxProblem('an empty subscript', this.nodeSpan(c), {
            code: 'MDL1003',
            hint: 'write an index or a slice in each place: `x[0]`, `x[1:]`, `x[:, 0]`',
          });
        e = {
          kind: 'index',
          target: e,
          subscripts: this.nodes(c, 'subscript').map((s) => this.subscript(s)),
          span: { ...start, end: this.nodeSpan(c).end },
        };
      } else {
        const t = child as IToken;
        const nameSpan = this.tokSpan(t);
        e = { kind: 'member', target: e, name: t.image, nameSpan, span: { ...start, end: nameSpan.end } };
      }
    }
    return e;
  }

  private argument(n: CstNode): Arg {
    const name = this.tokens(n, 'Identifier')[0];
    const value = this.expression(this.node(n, 'expression'));
    return name
      ? { kind: 'arg', name: name.image, nameSpan: this.tokSpan(name), value, span: this.nodeSpan(n) }
      : { kind: 'arg', value, span: this.nodeSpan(n) };
  }

  private subscript(n: CstNode): Subscript {
    const span = this.nodeSpan(n);
    const colons = this.tokens(n, 'Colon');
    const parts = this.ordered(n, ['expression', 'Colon']);
    if (colons.length === 0) return { kind: 'at', value: this.expression(parts[0]!.child as CstNode), span };
    // Assign each expression to the slot (start, end, step) determined by the colons before it.
    const slots: (Expr | undefined)[] = [undefined, undefined, undefined];
    let slot = 0;
    for (const p of parts) {
      if (p.key === 'Colon') slot++;
      else slots[slot] = this.expression(p.child as CstNode);
    }
    const [s, e, st] = slots;
    return { kind: 'slice', ...(s ? { start: s } : {}), ...(e ? { end: e } : {}), ...(st ? { step: st } : {}), span };
  }

  private primary(n: CstNode): Expr {
    const span = this.nodeSpan(n);
    const c = n.children;
    if (c.Int) {
      const t = (c.Int as IToken[])[0]!;
      const value = Number(t.image.replace(/_/g, ''));
      if (!Number.isSafeInteger(value))
        throw new SyntaxProblem(`the integer ${t.image} is too large to be exact`, span, {
          code: 'MDL1005',
          hint: `integers are exact up to 2^53 − 1 = ${Number.MAX_SAFE_INTEGER}`,
        });
      return { kind: 'int', value, text: t.image, span };
    }
    if (c.Float) {
      const t = (c.Float as IToken[])[0]!;
      const value = Number(t.image.replace(/_/g, ''));
      if (!Number.isFinite(value))
        throw new SyntaxProblem(`the number ${t.image} is too large`, span, {
          code: 'MDL1005',
          hint: 'numbers are 64-bit floats: at most about 1.8e308',
        });
      return { kind: 'float', value, text: t.image, span };
    }
    if (c.String) return this.stringLit((c.String as IToken[])[0]!);
    if (c.True) return { kind: 'bool', value: true, span };
    if (c.False) return { kind: 'bool', value: false, span };
    if (c.None) return { kind: 'none', span };
    if (c.Identifier) return { kind: 'name', name: (c.Identifier as IToken[])[0]!.image, span };
    if (c.ifExpr) return this.ifExpr((c.ifExpr as CstNode[])[0]!);
    const items = this.nodes(n, 'expression').map((e) => this.expression(e));
    if (c.LBracket) return { kind: 'list', items, span };
    // `(e)` groups; a comma anywhere makes a tuple, and `()` is the empty tuple.
    if (items.length === 1 && !c.Comma) return { kind: 'paren', inner: items[0]!, span };
    return { kind: 'tuple', items, span };
  }

  private ifExpr(n: CstNode): Expr {
    const es = this.nodes(n, 'expression');
    const nested = this.nodes(n, 'ifExpr')[0];
    return {
      kind: 'if',
      cond: this.expression(es[0]!),
      then: this.expression(es[1]!),
      else: nested ? this.ifExpr(nested) : this.expression(es[2]!),
      span: this.nodeSpan(n),
    };
  }

  /** A string literal: escapes decoded, `{expr}` interpolations parsed in place. */
  stringLit(t: IToken): Expr {
    const span = this.tokSpan(t);
    const raw = t.image;
    const parts: (string | Expr)[] = [];
    let text = '';
    let i = 1;
    while (i < raw.length - 1) {
      const ch = raw[i]!;
      if (ch === '\\') {
        const nx = raw[i + 1]!;
        text += nx === 'n' ? '\n' : nx === 't' ? '\t' : nx;
        i += 2;
      } else if (ch === '{' && raw[i + 1] === '{') {
        text += '{';
        i += 2;
      } else if (ch === '}' && raw[i + 1] === '}') {
        text += '}';
        i += 2;
      } else if (ch === '{') {
        const close = raw.indexOf('}', i);
        if (close < 0 || close >= raw.length - 1)
          throw new InterpolationError(spanAt(this.src, t.startOffset + i, t.startOffset + i + 1));
        if (text) parts.push(text);
        text = '';
        parts.push(this.parseInterpolation(raw.slice(i + 1, close), t.startOffset + i + 1));
        i = close + 1;
      } else if (ch === '}') {
        throw new InterpolationError(spanAt(this.src, t.startOffset + i, t.startOffset + i + 1));
      } else {
        text += ch;
        i++;
      }
    }
    if (text || parts.length === 0) parts.push(text);
    return { kind: 'string', parts, raw, span };
  }
}

export class InterpolationError extends Error {
  constructor(readonly span: Span) {
    super('invalid string interpolation');
  }
}

/** A construct the grammar accepts but the language does not (`x[]`, a literal out of range). */
export class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly span: Span,
    readonly opts: { readonly code: 'MDL1003' | 'MDL1005'; readonly hint: string },
  ) {
    super(message);
  }
}

export function unquote(raw: string): string {
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
