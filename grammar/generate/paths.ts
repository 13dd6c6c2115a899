// Where the generated artifacts live, found from this file so the generators work both from
// the TypeScript sources (vitest) and from dist/ (npm run grammar:generate).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file whose package.json is mdl's. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mdl-nn') return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot locate the mdl repository root');
}

/** The installed chevrotain package's folder (its `exports` hide package.json, so go via the entry). */
export function chevrotainRoot(): string {
  const entry = createRequire(import.meta.url).resolve('chevrotain');
  let dir = dirname(entry);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'diagrams')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot locate chevrotain's diagrams/ folder from ${entry}`);
}

export const ARTIFACTS = {
  diagrams: 'grammar/diagrams.html',
  textmate: 'grammar/mdl.tmLanguage.json',
  reference: 'docs/language.md',
} as const;
