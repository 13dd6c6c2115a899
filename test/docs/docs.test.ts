// Every code block in docs/ (and every ```mdl block of the README) is checked: the language
// reference cannot show an example that does not compile, or an error it does not give.
//
// Conventions (also stated at the top of docs/language.md):
//   ```mdl                  a whole file; it parses and every model in it elaborates cleanly
//   ```mdl fragment         statements: wrapped in `model fragment(x: Tensor[B, 3, 32, 32]) { … }`,
//                           with `return x` appended unless a line of it starts with `return`
//   ```mdl error=MDLnnnn    fails, and the first error it reports has that code
//   ```mdl file=NAME.mdl    a file other blocks of the page import as "./NAME.mdl"
//   ```text layers          right after an mdl block: its model's layers, one `name op` a line
//   ```text params          right after an mdl block (or its layers): `name [shape]` a line
//   ```text outputs         likewise: the model's outputs, `name [shape]` a line
//   ```sh, ```text          shown as they are (commands, output)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile, compileModel, type CompileResult } from '../../compiler/compile.js';
import { DIAGNOSTICS } from '../../compiler/diagnostics/codes.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { formatShape } from '../../compiler/ir/shape.js';
import { repoRoot } from '../../grammar/generate/paths.js';
import { SECTIONS, updateGenerated } from '../../grammar/generate/reference.js';
import { memoryHost } from '../helpers/compile.js';

const root = repoRoot();

interface Block {
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly attrs: ReadonlyMap<string, string | true>;
  readonly text: string;
}

function blocks(doc: string): Block[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`${doc}:${start + 1}: unclosed code block`);
    const attrs = new Map<string, string | true>();
    for (const a of open[2]!.split(/\s+/).filter(Boolean)) {
      const eq = a.indexOf('=');
      attrs.set(eq < 0 ? a : a.slice(0, eq), eq < 0 ? true : a.slice(eq + 1));
    }
    out.push({ doc, line: start + 1, lang: open[1]!, attrs, text: body.join('\n') + '\n' });
  }
  return out;
}

function docPages(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return walk('docs').sort();
}

const FRAGMENT_HEAD = 'model fragment(x: Tensor[B, 3, 32, 32]) {\n';

function source(b: Block): string {
  if (!b.attrs.has('fragment')) return b.text;
  const ret = /^\s*return\b/m.test(b.text) ? '' : '  return x\n';
  return FRAGMENT_HEAD + b.text.replace(/^(?=.)/gm, '  ') + ret + '}\n';
}

/** Files that `file=` blocks of a page provide, keyed by the path an import resolves to. */
function pageFiles(page: readonly Block[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const b of page) {
    const f = b.attrs.get('file');
    if (b.lang === 'mdl' && typeof f === 'string') files[join(dirname(b.doc), f)] = b.text;
  }
  return files;
}

function blockPath(b: Block): string {
  const f = b.attrs.get('file');
  return join(
    dirname(b.doc),
    typeof f === 'string' ? f : `${b.doc.replace(/^.*\//, '').replace(/\.md$/, '')}-line${b.line}.mdl`,
  );
}

function render(r: CompileResult): string {
  return renderAll(r.diagnostics, r.sources);
}

function check(b: Block, files: Record<string, string>): void {
  const where = `${b.doc}:${b.line}`;
  const r = checkFile({ path: blockPath(b), text: source(b) }, memoryHost(files));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  const code = b.attrs.get('error');
  if (typeof code === 'string') {
    expect(Object.keys(DIAGNOSTICS), `${where}: error=${code} is not a registered code`).toContain(code);
    expect(errors.length, `${where}: expected error ${code}, but it compiles`).toBeGreaterThan(0);
    expect(errors[0]!.code, `${where}: expected ${code} first, got:\n${render(r)}`).toBe(code);
    return;
  }
  expect(errors, `${where}: expected a clean compile, got:\n${render(r)}`).toEqual([]);
  if (!b.attrs.has('file'))
    expect(r.models.length, `${where}: a block must define a model (or be a fragment or a file=)`).toBeGreaterThan(0);
}

/** The `text layers|params|outputs` blocks that follow an mdl block describe its model. */
function checkListing(b: Block, listing: Block, files: Record<string, string>): void {
  const where = `${listing.doc}:${listing.line}`;
  const r = compileModel({ path: blockPath(b), text: source(b) }, memoryHost(files));
  expect(r.graph, `${where}: ${render(r)}`).toBeDefined();
  const g = r.graph!;
  const kind = [...listing.attrs.keys()][0];
  const shapeOf = (id: number) => formatShape(g.values[id]!.type.shape);
  const actual =
    kind === 'layers'
      ? g.nodes.map((n) => `${n.name} ${n.op}`)
      : kind === 'params'
        ? g.params.map((p) => `${p.name} ${formatShape(p.shape)}${p.buffer ? ' buffer' : ''}`)
        : g.outputs.map((o) => `${o.name} ${shapeOf(o.value)}`);
  const expected = listing.text
    .trim()
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '));
  expect(actual, `${where}: the ${kind} of the block at line ${b.line}`).toEqual(expected);
}

const pages = docPages();

describe('docs', () => {
  it('has pages', () => {
    expect(pages).toContain(join('docs', 'language.md'));
  });

  for (const doc of [...pages, 'README.md']) {
    const page = blocks(doc);
    const files = pageFiles(page);
    const isReadme = doc === 'README.md';
    describe(doc, () => {
      if (!isReadme)
        it('tags every code block', () => {
          for (const b of page)
            expect(['mdl', 'sh', 'text'], `${b.doc}:${b.line}: tag the block (mdl, sh or text)`).toContain(b.lang);
        });
      page.forEach((b, i) => {
        if (b.lang === 'mdl')
          it(`line ${b.line}: ${[...b.attrs].map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(' ') || 'compiles'}`, () =>
            check(b, files));
        const kind = [...b.attrs.keys()][0];
        if (b.lang === 'text' && (kind === 'layers' || kind === 'params' || kind === 'outputs'))
          it(`line ${b.line}: ${kind}`, () => {
            let j = i - 1;
            while (j >= 0 && page[j]!.lang === 'text') j--;
            const src = page[j];
            expect(src?.lang, `${b.doc}:${b.line}: a \`text ${kind}\` block must follow an mdl block`).toBe('mdl');
            checkListing(src!, b, files);
          });
      });
    });
  }

  it('docs/language.md has its generated sections up to date', () => {
    const page = readFileSync(join(root, 'docs', 'language.md'), 'utf8');
    for (const [name, make] of Object.entries(SECTIONS)) {
      const begin = `<!-- BEGIN GENERATED: ${name} -->\n`;
      const a = page.indexOf(begin);
      const b = page.indexOf(`<!-- END GENERATED: ${name} -->`);
      expect(a >= 0 && b > a, `docs/language.md: markers of the generated section ${name}`).toBe(true);
      // On failure: the registry changed (an op, a stdlib block, a keyword, a diagnostic); run
      // `npm run grammar:generate` and commit docs/language.md.
      expect(
        page.slice(a + begin.length, b),
        `docs/language.md: the generated section "${name}" is stale; run \`npm run grammar:generate\``,
      ).toBe(`${make()}\n`);
    }
    expect(page === updateGenerated(page)).toBe(true);
  });

  it('the README links the language reference', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('docs/language.md');
  });
});
