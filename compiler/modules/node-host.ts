// The Node.js file system as a SourceHost. Display paths are kept as the user wrote them
// (relative to the working directory), and the stdlib is addressed as `std/<name>.mdl`.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail } from '../diagnostics/diagnostic.js';
import { formatLimit, LIMITS } from '../diagnostics/limits.js';
import type { SourceHost } from './loader.js';

/** A file longer than a reader's budget. */
export class FileTooLarge extends Error {
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`${path} is larger than ${formatLimit(limit)} bytes`);
  }
}

/**
 * Reads a whole file, refusing one longer than `limit` bytes without reading past the limit: a
 * device or a pipe (`/dev/zero`) is read in chunks and given up on at the limit, so no path
 * makes mdl read forever or fill the memory. File system errors are thrown as they come.
 */
export function readBounded(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > limit) throw new FileTooLarge(path, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new FileTooLarge(path, limit);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

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
      return readBounded(real, LIMITS.sourceBytes).toString('utf8');
    } catch (e) {
      if (e instanceof FileTooLarge)
        fail('MDL5011', `${path} is larger than ${formatLimit(LIMITS.sourceBytes)} bytes`, undefined, {
          hint: 'an .mdl file is read whole; split a larger one into files that import each other',
        });
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
