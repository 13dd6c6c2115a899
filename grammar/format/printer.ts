// The canonical layout of .mdl source, as a prettier printer over the project's own AST.
// Rules, in the spirit of prettier: what fits on a line stays on it; a group that does not fit
// breaks one element per line with a trailing comma; a list, tuple or call written with a line
// break right after its opening bracket stays broken (stage tables read better that way);
// blank lines between statements are kept (at most one) and definitions are always one blank
// line apart; bodies are indented by two spaces. The printer never adds or removes
// parentheses: grouping is in the AST as `paren` nodes, so the output means what the input meant.
import type { AstPath, Doc, Printer } from 'prettier';
import { doc, util } from 'prettier';
import type { Arg, Definition, Expr, Item, Param, Pattern, Program, Stmt, Subscript, TypeExpr } from '../ast.js';
import { SECTION_KINDS } from '../lexer.js';

const { group, indent, join, line, softline, hardline, ifBreak, breakParent } = doc.builders;

/** A `#` comment as prettier sees it: attached to a node by position. */
export interface CommentNode {
  readonly kind: 'comment';
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Set by prettier when attaching. */
  leading?: boolean;
  trailing?: boolean;
  printed?: boolean;
}

export type MdlNode = Program | Item | Stmt | Expr | Param | Arg | Subscript | Pattern | TypeExpr | CommentNode;

type P = AstPath<MdlNode>;
type Print = (path: AstPath<MdlNode>) => Doc;

export function locStart(n: MdlNode): number {
  if (n.kind === 'comment') return n.start;
  if (n.kind === 'program') return 0;
  return n.span.start;
}

export function locEnd(n: MdlNode): number {
  if (n.kind === 'comment') return n.end;
  if (n.kind === 'program') return Number.MAX_SAFE_INTEGER;
  return n.span.end;
}

/** Is there a blank line in the source between two positions (ignoring comment text)? */
function blankBetween(text: string, from: number, to: number): boolean {
  return /\n[ \t\r]*\n/.test(text.slice(from, to).replace(/#[^\n]*/g, ''));
}

/** Did the user break the line right after this bracket? Then keep the construct expanded. */
function brokenAfter(text: string, bracketAt: number): boolean {
  for (let i = bracketAt + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n' || c === '#') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r') return false;
  }
  return false;
}

function isDefinition(n: MdlNode): n is Definition {
  return n.kind === 'model' || n.kind === 'block' || (SECTION_KINDS as readonly string[]).includes(n.kind);
}

/** Where a node's own-line leading comments start (comments are printed with their node). */
function leadingStart(n: MdlNode): number {
  const comments = ((n as { comments?: CommentNode[] }).comments ?? []).filter((c) => c.leading);
  return Math.min(locStart(n), ...comments.map((c) => c.start));
}

/** Children one per line, keeping single blank lines from the source. */
function lines(path: P, print: Print, key: string, text: string, definitionsApart = false): Doc[] {
  const out: Doc[] = [];
  let prev: MdlNode | undefined;
  path.each((child) => {
    const node = child.node;
    if (prev) {
      out.push(hardline);
      const apart = definitionsApart && (isDefinition(prev) || isDefinition(node));
      if (apart || blankBetween(text, locEnd(prev), leadingStart(node))) out.push(hardline);
    }
    out.push(print(child));
    prev = node;
  }, key as never);
  return out;
}

function danglingComments(path: P): Doc[] {
  const cs = ((path.node as { comments?: CommentNode[] }).comments ?? []).filter((c) => !c.leading && !c.trailing);
  return cs.map((c) => {
    c.printed = true;
    return c.text.trimEnd();
  });
}

function body(path: P, print: Print, key: string, text: string, stmts: readonly unknown[]): Doc {
  const dangling = key === 'body' || key === 'then' ? danglingComments(path) : [];
  if (stmts.length === 0 && dangling.length === 0) return '{}';
  const inner: Doc[] = stmts.length ? lines(path, print, key, text) : [];
  const tail = dangling.length ? [stmts.length ? hardline : '', join(hardline, dangling)] : [];
  return ['{', indent([hardline, ...inner, ...tail]), hardline, '}'];
}

/** A bracketed, comma-separated list that breaks one element per line with a trailing comma. */
function bracketed(open: string, close: string, items: Doc[], forceBreak: boolean): Doc {
  if (items.length === 0) return open + close;
  return group([
    open,
    indent([softline, join([',', line], items)]),
    ifBreak(','),
    softline,
    close,
    forceBreak ? breakParent : '',
  ]);
}

/** Element `index` of the list field `key`: prettier's path types cannot name a list element of a node union. */
function printChild(path: AstPath<MdlNode>, print: Print, key: string, index: number): Doc {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (path as AstPath<any>).call(print, key, index);
}

export const printer: Printer<MdlNode> = {
  print(path, options, print) {
    const n = path.node;
    const text = options.originalText;
    const sub = (key: string, index?: number): Doc =>
      index === undefined ? path.call(print, key as never) : printChild(path, print, key, index);
    const subs = (key: string): Doc[] => path.map(print, key as never);
    if (isDefinition(n)) return printDefinition(path as AstPath<Definition>, print, text);
    switch (n.kind) {
      case 'program': {
        const items = lines(path, print, 'items', text, true);
        const dangling = danglingComments(path);
        return [
          ...items,
          items.length && dangling.length ? [hardline, hardline] : '',
          join(hardline, dangling),
          hardline,
        ];
      }
      case 'comment':
        return n.text.trimEnd();
      case 'import':
        return ['import ', n.path === undefined ? '' : JSON.stringify(n.path), n.alias ? [' as ', n.alias.name] : ''];
      case 'from':
        return group([
          'from ',
          JSON.stringify(n.path),
          ' import',
          indent([
            line,
            join(
              [',', line],
              n.names.map((t) => t.name),
            ),
          ]),
        ]);
      case 'const':
        return group([n.name, ' = ', sub('value')]);
      case 'param':
        return [n.name, n.type ? [': ', sub('type')] : '', n.default ? [' = ', sub('default')] : ''];
      case 'type':
        return n.dims
          ? [n.name, group(['[', indent([softline, join([',', line], subs('dims'))]), softline, ']'])]
          : n.name;
      case 'arg':
        return n.name !== undefined ? [n.name, '=', sub('value')] : sub('value');
      case 'assign':
        return group([
          join(
            ', ',
            n.targets.map((t) => t.name),
          ),
          ' = ',
          sub('value'),
        ]);
      case 'for':
        return [
          'for ',
          join(', ', subs('patterns')),
          ' in ',
          sub('iter'),
          ' ',
          body(path, print, 'body', text, n.body),
        ];
      case 'if':
        return Array.isArray(n.then) ? printIfStmt(path, print, text) : printIfExpr(path, print);
      case 'return':
        return n.values.length === 1
          ? ['return ', sub('values', 0)]
          : group(['return ', indent(join([',', line], subs('values')))]);
      case 'assert':
        return group(['assert ', sub('cond'), n.message ? [',', indent([line, sub('message')])] : '']);
      case 'freeze':
        return group(['freeze ', indent(join([',', line], subs('patterns')))]);
      case 'backward':
        return group(['backward ', sub('selector'), ' = ', sub('strategy')]);
      case 'int':
      case 'float':
        return n.text;
      case 'string':
        return n.raw;
      case 'bool':
        return n.value ? 'true' : 'false';
      case 'none':
        return 'none';
      case 'name':
        return n.name;
      case 'paren':
        return group(['(', indent([softline, sub('inner')]), softline, ')']);
      case 'list':
        return bracketed('[', ']', subs('items'), brokenAfter(text, n.span.start));
      case 'tuple':
        if (n.items.length === 1) return ['(', sub('items', 0), ',)'];
        return bracketed('(', ')', subs('items'), brokenAfter(text, n.span.start));
      case 'unary':
        return n.op === 'not' ? ['not ', sub('operand')] : [n.op, sub('operand')];
      case 'binary':
        return printBinary(path, print);
      case 'call': {
        const open = text.indexOf('(', n.callee.span.end);
        return [
          sub('callee'),
          bracketed('(', ')', subs('args'), open >= 0 && brokenAfter(text, open)),
          n.layerName ? [' as ', sub('layerName')] : '',
        ];
      }
      case 'index':
        return [sub('target'), group(['[', indent([softline, join([',', line], subs('subscripts'))]), softline, ']'])];
      case 'member':
        return [sub('target'), '.', n.name];
      case 'at':
        return sub('value');
      case 'slice':
        return [n.start ? sub('start') : '', ':', n.end ? sub('end') : '', n.step ? [':', sub('step')] : ''];
    }
  },

  printComment(path) {
    return (path.node as CommentNode).text.trimEnd();
  },

  handleComments: {
    ownLine: (c, text) => attachToEmptyBody(c, text) || keepInClosingBody(c, text),
    endOfLine: attachToEmptyBody,
    remaining: (c, text) => attachToEmptyBody(c, text) || keepInClosingBody(c, text),
  },

  canAttachComment(node) {
    return node.kind !== 'comment' && node.kind !== 'program' && node.kind !== 'at';
  },

  isBlockComment() {
    return false;
  },

  getVisitorKeys(node) {
    return visitorKeys(node);
  },
};

/**
 * A comment inside an empty body has no statement to hold it; prettier would attach it to the
 * last thing in the header (a parameter, the loop's iterable) and print it there. Keep it in
 * the body instead, as a dangling comment of the definition or statement.
 */
function attachToEmptyBody(
  comment: CommentNode & { enclosingNode?: MdlNode; precedingNode?: MdlNode; followingNode?: MdlNode },
  text: string,
): boolean {
  const owner = comment.enclosingNode;
  if (!owner || comment.followingNode) return false;
  const bodyKey = owner.kind === 'if' && Array.isArray(owner.then) ? 'then' : 'body';
  const stmts = (owner as unknown as Record<string, unknown>)[bodyKey];
  if (!Array.isArray(stmts) || stmts.length > 0) return false;
  const headerEnd = comment.precedingNode ? locEnd(comment.precedingNode) : locStart(owner);
  const brace = text.indexOf('{', headerEnd);
  if (brace < 0 || comment.start < brace) return false;
  util.addDanglingComment(owner as never, comment as never, undefined);
  return true;
}

/**
 * A comment on its own line at the end of a body (`# note` before `} else {`) would be taken
 * by prettier as leading the next statement, on the other side of the brace. Keep it where it
 * was: trailing the last statement of its own body.
 */
function keepInClosingBody(
  comment: CommentNode & { precedingNode?: MdlNode; followingNode?: MdlNode },
  text: string,
): boolean {
  const { precedingNode: before, followingNode: after } = comment;
  if (!before || !after) return false;
  const between = text.slice(comment.end, locStart(after)).replace(/#[^\n]*/g, '');
  if (!between.includes('}')) return false;
  util.addTrailingComment(before as never, comment as never);
  return true;
}

function printDefinition(path: AstPath<Definition>, print: Print, text: string): Doc {
  const d = path.node;
  const head: Doc[] = [d.kind, ' ', d.name];
  if (d.kind === 'model' || d.kind === 'block') {
    const open = text.indexOf('(', d.nameSpan.end);
    head.push(bracketed('(', ')', path.map(print as never, 'params') as Doc[], open >= 0 && brokenAfter(text, open)));
  }
  return [group(head), ' ', body(path as P, print, 'body', text, d.body)];
}

function printIfStmt(path: P, print: Print, text: string): Doc {
  const n = path.node as Extract<Stmt, { kind: 'if' }>;
  const parts: Doc[] = ['if ', path.call(print, 'cond' as never), ' ', body(path, print, 'then', text, n.then)];
  if (n.else) {
    const only = n.else.length === 1 ? n.else[0]! : undefined;
    if (only && only.kind === 'if' && isElseIf(text, n, only))
      parts.push(' else ', printChild(path as P, print, 'else', 0));
    else parts.push(' else ', body(path, print, 'else', text, n.else));
  }
  return parts;
}

/** `else if` versus `else { if … }`: both parse to a nested if; the source tells them apart. */
function isElseIf(text: string, outer: Extract<Stmt, { kind: 'if' }>, inner: Stmt): boolean {
  const from = outer.then.length ? outer.then[outer.then.length - 1]!.span.end : outer.cond.span.end;
  const between = text.slice(from, inner.span.start).replace(/#[^\n]*/g, '');
  return !between.slice(between.lastIndexOf('else') + 4).includes('{');
}

function printIfExpr(path: P, print: Print): Doc {
  const n = path.node as Extract<Expr, { kind: 'if' }>;
  const elseDoc =
    n.else.kind === 'if'
      ? path.call(print, 'else' as never)
      : ['{', indent([line, path.call(print, 'else' as never)]), line, '}'];
  return group([
    'if ',
    path.call(print, 'cond' as never),
    ' {',
    indent([line, path.call(print, 'then' as never)]),
    line,
    '} else ',
    elseDoc,
  ]);
}

/** A left-leaning chain of one operator prints flat and breaks before each operand if too long. */
function printBinary(path: P, print: Print): Doc {
  const n = path.node as Extract<Expr, { kind: 'binary' }>;
  if (n.op === '**') return [path.call(print, 'left' as never), ' ** ', path.call(print, 'right' as never)];
  const operands: Doc[] = [];
  const walk = (p: P): void => {
    const e = p.node as Expr;
    if (e.kind === 'binary' && e.op === n.op && !((e as { comments?: unknown[] }).comments ?? []).length) {
      p.call((l) => walk(l), 'left' as never);
      operands.push(p.call(print, 'right' as never));
    } else operands.push(print(p));
  };
  path.call((l) => walk(l), 'left' as never);
  operands.push(path.call(print, 'right' as never));
  const [first, ...rest] = operands;
  return group([first!, indent(rest.map((r) => [' ', n.op, line, r]))]);
}

const KEYS: Partial<Record<MdlNode['kind'], string[]>> = {
  program: ['items'],
  const: ['value'],
  model: ['params', 'body'],
  block: ['params', 'body'],
  train: ['body'],
  space: ['body'],
  param: ['type', 'default'],
  type: ['dims'],
  arg: ['value'],
  assign: ['value'],
  for: ['patterns', 'iter', 'body'],
  if: ['cond', 'then', 'else'],
  return: ['values'],
  assert: ['cond', 'message'],
  freeze: ['patterns'],
  backward: ['selector', 'strategy'],
  paren: ['inner'],
  list: ['items'],
  tuple: ['items'],
  unary: ['operand'],
  binary: ['left', 'right'],
  call: ['callee', 'args', 'layerName'],
  index: ['target', 'subscripts'],
  member: ['target'],
  at: ['value'],
  slice: ['start', 'end', 'step'],
};

export function visitorKeys(node: MdlNode): string[] {
  return KEYS[node.kind] ?? [];
}
