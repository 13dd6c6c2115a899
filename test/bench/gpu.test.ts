// The GPU bench end to end, as a smoke run on whatever adapter is here (it refuses a CPU adapter
// unless told): a small model and matmul, the page written whole with a roofline per model.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/cli.js';

const run = (...args: string[]) => runNode('dist/test/bench/gpu.js', ...args);

describe('the GPU bench (dist/test/bench/gpu.js)', () => {
  it('writes the roofline page for the models asked for, and the matmul against the peak', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mdl-gpu-')), 'performance.md');
    const r = run(
      '--allow-software',
      '--models',
      'mlp:8,lenet5:4',
      '--matmul',
      '64',
      '--peak-gflops',
      '100',
      '--bandwidth-gbs',
      '20',
      '--top',
      '3',
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('ridge point 5.0 FLOP/byte');
    expect(page).toMatch(/## mlp_classifier, training step at batch 8\n\nstep [\d.]+ ms/);
    expect(page).toMatch(/## lenet5, training step at batch 4/);
    // three rows under each model's table header, each with a bound and a share of its roof
    const rows = page.split('\n').filter((l) => /^\| (?!kernel|---).* \| (memory|compute) \| [\d.]+ % \|$/.test(l));
    expect(rows).toHaveLength(6);
    expect(page).toMatch(/matmul 64×64×64: [\d.]+ ms, [\d.]+ GFLOP\/s, [\d.]+ % of the fp32 peak/);
  });

  it('is a usage error without both card figures, or with a bad model list', () => {
    for (const [args, says] of [
      [['--peak-gflops', '100'], 'go together'],
      [['--models', 'mlp'], 'is not NAME:BATCH'],
      [['--matmul', '-3'], '--matmul needs a positive number'],
    ] as const) {
      const r = run('--allow-software', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(says);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
