// `npm run grammar:generate`: rewrites the artifacts derived from the parser, the lexer and
// the registries — grammar/diagrams.html, grammar/mdl.tmLanguage.json and the generated
// sections of docs/language.md. test/grammar-artifacts and test/docs fail when one is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagramsHtml } from './diagrams.js';
import { ARTIFACTS, repoRoot } from './paths.js';
import { updateGenerated } from './reference.js';
import { tmLanguageText } from './textmate.js';

function write(rel: string, text: string): void {
  const path = join(repoRoot(), rel);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (before === text) {
    process.stdout.write(`${rel}: up to date\n`);
    return;
  }
  writeFileSync(path, text);
  process.stdout.write(`${rel}: ${before === undefined ? 'written' : 'updated'}\n`);
}

write(ARTIFACTS.diagrams, diagramsHtml());
write(ARTIFACTS.textmate, tmLanguageText());
const reference = join(repoRoot(), ARTIFACTS.reference);
if (existsSync(reference)) write(ARTIFACTS.reference, updateGenerated(readFileSync(reference, 'utf8')));
