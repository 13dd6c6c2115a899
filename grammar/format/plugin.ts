// The prettier plugin for .mdl: `prettier --plugin ./dist/grammar/format/plugin.js file.mdl`,
// and what `mdl fmt` uses. It parses with the project's own parser, so formatting and
// compiling can never disagree about syntax.
import type { Parser, Plugin, SupportLanguage } from 'prettier';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { parse } from '../parse.js';
import { locEnd, locStart, printer, type CommentNode, type MdlNode } from './printer.js';

export const languages: SupportLanguage[] = [
  { name: 'mdl', parsers: ['mdl'], extensions: ['.mdl'], vscodeLanguageIds: ['mdl'] },
];

/** Thrown for a file with syntax errors; carries the rendered diagnostics. */
export class MdlSyntaxError extends Error {}

export const mdlParser: Parser<MdlNode> = {
  astFormat: 'mdl-ast',
  locStart,
  locEnd,
  parse(text, options) {
    const path = (options as { filepath?: string }).filepath ?? 'input.mdl';
    const src = { path, text };
    const r = parse(src);
    if (!r.program) throw new MdlSyntaxError(renderAll(r.diagnostics, new Map([[path, src]])));
    const comments: CommentNode[] = r.program.comments.map((c) => ({
      kind: 'comment',
      text: c.text,
      start: c.span.start,
      end: c.span.end,
    }));
    return Object.assign({}, r.program, { comments }) as MdlNode;
  },
};

export const parsers = { mdl: mdlParser };
export const printers = { 'mdl-ast': printer };

const plugin: Plugin<MdlNode> = { languages, parsers, printers };
export default plugin;
