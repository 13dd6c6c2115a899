// Golden-file comparison: with UPDATE_GOLDEN=1 the file is (re)written; otherwise the text
// must equal it exactly, and a missing golden file is a failure, not a pass.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'vitest';

export function expectGolden(path: string, actual: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path))
    throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1 to create it, then review the diff`);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
