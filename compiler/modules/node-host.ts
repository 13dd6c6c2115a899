// The Node.js file system as a SourceHost. Display paths are kept as the user wrote them
// (relative to the working directory), and the stdlib is addressed as `std/<name>.mdl`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceHost } from './loader.js';

/** The package root: the nearest folder above this file that holds `stdlib/`. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'stdlib')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot locate the mdl package root (stdlib/ not found)');
}

export const STDLIB_DIR = join(packageRoot(), 'stdlib');

const withExt = (p: string): string => (p.endsWith('.mdl') ? p : `${p}.mdl`);

export const nodeHost: SourceHost = {
  resolve(spec, from) {
    if (spec.startsWith('std/')) return withExt(spec);
    if (isAbsolute(spec)) return normalize(withExt(spec));
    return normalize(join(dirname(from), withExt(spec)));
  },
  read(path) {
    const real = path.startsWith('std/') ? join(STDLIB_DIR, path.slice(4)) : resolve(path);
    try {
      return readFileSync(real, 'utf8');
    } catch {
      return undefined;
    }
  },
  stdlibModules() {
    try {
      return readdirSync(STDLIB_DIR)
        .filter((f) => f.endsWith('.mdl'))
        .map((f) => f.slice(0, -4))
        .sort();
    } catch {
      return [];
    }
  },
};
