// grammar/diagrams.html is the parser's grammar as railroad diagrams: regenerating it in
// process gives the checked-in file byte for byte, it needs nothing from the network, and
// its inlined renderer draws one diagram per parser rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { diagramsHtml } from '../../grammar/generate/diagrams.js';
import { ARTIFACTS, repoRoot } from '../../grammar/generate/paths.js';
import { getParser } from '../../grammar/parser.js';

const html = readFileSync(join(repoRoot(), ARTIFACTS.diagrams), 'utf8');

describe('grammar/diagrams.html', () => {
  it('is what the generator writes from the parser today', () => {
    expect(
      html === diagramsHtml(),
      'grammar/diagrams.html is stale: run `npm run grammar:generate` and commit the result',
    ).toBe(true);
  });

  it('is self-contained', () => {
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/unpkg/);
  });

  it('draws a diagram for every rule of the parser', () => {
    const scripts = [...html.matchAll(/<script>\n([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    // All but the last script define the renderer and the grammar; the last draws into the page.
    const sandbox: Record<string, unknown> = {};
    sandbox['window'] = sandbox;
    const ctx = createContext(sandbox);
    for (const s of scripts.slice(0, -1)) runInContext(s, ctx);
    const builder = sandbox['diagrams_builder'] as { buildSyntaxDiagramsText(g: unknown): string };
    const svg = builder.buildSyntaxDiagramsText(sandbox['serializedGrammar']);
    const names = Object.keys(getParser().getGAstProductions());
    expect(names.length).toBeGreaterThan(30);
    expect(svg.match(/<svg/g)?.length).toBe(names.length);
    expect(names.filter((name) => !svg.includes(`>${name}<`))).toEqual([]);
  });
});
