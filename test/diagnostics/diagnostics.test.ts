// Golden tests of the diagnostics users see for their mistakes. Each `cases/<name>.mdl` is one
// realistic error; its first line says which code it must raise (`# expect: MDL4001`), and
// `cases/<name>.err` pins the whole rendered output (message, position, caret, notes, hint).
// Helper modules the cases import live in `cases/lib/` and are not cases themselves.
//
// Regenerate the goldens with `UPDATE_GOLDEN=1 npx vitest run test/diagnostics`, then read
// every changed .err as a user would before committing it.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import type { SourceHost } from '../../compiler/modules/loader.js';
import { nodeHost } from '../../compiler/modules/node-host.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CASES = join(HERE, 'cases');
/** Case paths as the user would type them from the repository root, so rendered paths are stable. */
const REL_CASES = relative(ROOT, CASES).split('\\').join('/');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/**
 * nodeHost, with relative paths read against the repository root rather than the working
 * directory, so the suite passes from wherever vitest is started. Display paths are unchanged.
 */
const host: SourceHost = {
  resolve: (spec, from) => nodeHost.resolve(spec, from),
  read: (path) => nodeHost.read(path.startsWith('std/') || isAbsolute(path) ? path : join(ROOT, path)),
  stdlibModules: () => nodeHost.stdlibModules(),
};

const caseNames = readdirSync(CASES)
  .filter((f) => f.endsWith('.mdl'))
  .map((f) => f.slice(0, -4))
  .sort();

function expectedCode(text: string): string | undefined {
  const first = text.split('\n', 1)[0] ?? '';
  return /^#\s*expect:\s*(MDL\d{4})\b/.exec(first)?.[1];
}

/**
 * The stdlib grows while the compiler is developed, so the list of its modules (quoted in the
 * hint of a missing `std/` import) is replaced by a placeholder in the goldens.
 */
const STDLIB_LIST = host
  .stdlibModules()
  .map((m) => `std/${m}`)
  .join(', ');

function run(name: string): { raw: string; output: string; codes: string[]; errors: number } {
  const path = `${REL_CASES}/${name}.mdl`;
  const text = readFileSync(join(CASES, `${name}.mdl`), 'utf8');
  const result = checkFile({ path, text }, host);
  const raw = renderAll(result.diagnostics, result.sources) + '\n';
  return {
    raw,
    output: raw.split(STDLIB_LIST).join('<stdlib modules>'),
    codes: result.diagnostics.map((d) => d.code),
    errors: result.diagnostics.filter((d) => d.severity === 'error').length,
  };
}

describe('diagnostics golden cases', () => {
  it('has enough cases', () => {
    expect(caseNames.length).toBeGreaterThanOrEqual(30);
  });

  it.each(caseNames)('%s', (name) => {
    const text = readFileSync(join(CASES, `${name}.mdl`), 'utf8');
    const want = expectedCode(text);
    expect(want, `${name}.mdl must start with a comment like "# expect: MDL4001"`).toBeDefined();

    const { raw, output, codes, errors } = run(name);
    const golden = join(CASES, `${name}.err`);
    if (UPDATE) writeFileSync(golden, output);

    expect(errors, `${name}: expected at least one error`).toBeGreaterThan(0);
    expect(codes[0], `${name}: first diagnostic code`).toBe(want);
    // A crash of the compiler would show as a JS stack trace in the output: never acceptable.
    expect(output).not.toContain('    at ');
    expect(output).not.toContain('MDL9001');
    expect(output).not.toContain('[object Object]');
    expect(output).not.toContain('undefined');
    // The missing-stdlib case must list the real stdlib in its hint.
    if (/\bimport "std\//.test(text) && codes[0] === 'MDL5001')
      expect(raw).toContain(`the standard library has: ${STDLIB_LIST}\n`);

    if (UPDATE) return;
    expect(existsSync(golden), `missing golden ${name}.err; run with UPDATE_GOLDEN=1`).toBe(true);
    expect(output).toBe(readFileSync(golden, 'utf8'));
  });

  it('covers many distinct codes', () => {
    const codes = new Set(caseNames.map((n) => expectedCode(readFileSync(join(CASES, `${n}.mdl`), 'utf8'))));
    expect(codes.size).toBeGreaterThanOrEqual(25);
  });

  it('has no stale goldens', () => {
    const stale = readdirSync(CASES)
      .filter((f) => f.endsWith('.err'))
      .filter((f) => !caseNames.includes(f.slice(0, -4)));
    expect(stale).toEqual([]);
  });
});
