// The syntax diagrams: chevrotain renders railroad diagrams from the parser's own grammar
// (getSerializedGastProductions), so the page cannot disagree with the parser.
//
// chevrotain's createSyntaxDiagramsCode emits a page that loads its stylesheet and four
// scripts from unpkg (`resourceBase` and `css` only change those URLs). We inline the same
// files from the installed chevrotain package instead, so grammar/diagrams.html is one
// self-contained file that works offline and pins exactly the renderer it was made with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSyntaxDiagramsCode } from '../chevrotain.js';
import { getParser } from '../parser.js';
import { chevrotainRoot } from './paths.js';

const MARKER = 'mdl-diagrams-resource:';

export function diagramsHtml(): string {
  const root = join(chevrotainRoot(), 'diagrams');
  const html = createSyntaxDiagramsCode(getParser().getSerializedGastProductions(), {
    resourceBase: MARKER,
    css: `${MARKER}diagrams.css`,
  });
  const read = (rel: string): string => {
    const text = readFileSync(join(root, rel), 'utf8');
    // A `</script` or `</style` inside inlined code would end the element early.
    if (/<\/(script|style)/i.test(text)) throw new Error(`chevrotain's diagrams/${rel} cannot be inlined as is`);
    return text.replace(/\s+$/, '');
  };
  let inlined = 0;
  const out = html
    .replace(new RegExp(`<link rel='stylesheet' href='${MARKER}([^']+)'>`, 'g'), (_, rel: string) => {
      inlined++;
      return `<style>\n/* chevrotain/diagrams/${rel} */\n${read(rel)}\n</style>`;
    })
    .replace(new RegExp(`<script src='${MARKER}([^']+)'></script>`, 'g'), (_, rel: string) => {
      inlined++;
      return `<script>\n// chevrotain/diagrams/${rel}\n${read(rel)}\n</script>`;
    });
  if (out.includes(MARKER) || inlined === 0)
    throw new Error('chevrotain changed the layout of createSyntaxDiagramsCode; update grammar/generate/diagrams.ts');
  const title =
    '<title>mdl grammar: syntax diagrams</title>\n<!-- Generated from grammar/parser.ts by `npm run grammar:generate`; do not edit. -->\n';
  return (
    out
      .replace('<meta charset="utf-8">', `<meta charset="utf-8">\n${title}`)
      .replace(/[ \t]+$/gm, '')
      .trimStart() + '\n'
  );
}
