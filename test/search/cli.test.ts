// `mdl search` as users run it: real processes, files, exit codes.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NB201_TABLE, TINY } from './tiny.js';
import { mdl } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mdl-search-'));
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('mdl search', () => {
  it('finds, logs and emits candidates whose files re-enter mdl score with the same hash', () => {
    const dir = tmp();
    const out = join(dir, 'log.jsonl');
    const emit = join(dir, 'found');
    const r = mdl(
      'search',
      'examples/nb201.mdl',
      '--algorithm',
      'random(n=3)',
      '--maximize',
      'accuracy',
      '--truth',
      NB201_TABLE,
      '--key',
      'ArchitectureString',
      '--seed',
      '5',
      '--out',
      out,
      '--emit',
      emit,
      '--plot',
      join(dir, 'front.svg'),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/evaluated 3 candidates \(3 feasible\)/);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows[0]!['header']).toMatchObject({ search: 'cli', space: 'cifar10', seed: 5 });
    expect(rows.slice(1).map((x) => x['step'])).toEqual([0, 1, 2]);
    expect(readFileSync(join(dir, 'front.svg'), 'utf8')).toMatch(/^<svg/);
    const files = readdirSync(emit);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const index = Number(/_(\d+)\.mdl$/.exec(f)![1]);
      const row = rows.find((x) => x['index'] === index)!;
      const s = mdl('score', join(emit, f), '--proxies', 'params');
      expect(s.code, s.err).toBe(0);
      const scored = JSON.parse(s.out.trim()) as Record<string, unknown>;
      expect(scored['hash']).toBe(row['hash']);
      expect(mdl('summary', join(emit, f)).code).toBe(0);
    }
  });

  it('resumes a killed search exactly, and refuses a log of another search', () => {
    const dir = tmp();
    const file = join(dir, 'tiny.mdl');
    writeFileSync(
      file,
      `${TINY}\nsearch evo {\n  candidates = s\n  algorithm = evolution(population=4, iterations=30)\n  maximize = [params]\n  minimize = [macs]\n  seed = 9\n}\n`,
    );
    const whole = join(dir, 'whole.jsonl');
    expect(mdl('search', file, '--out', whole).code).toBe(0);
    const text = readFileSync(whole, 'utf8');
    const lines = text.split('\n');
    // What a run killed while writing line 6 leaves.
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, 6).join('\n') + '\n' + lines[6]!.slice(0, 15));
    const r = mdl('search', file, '--out', cut);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/5 replayed from the log/);
    expect(readFileSync(cut, 'utf8')).toBe(text);
    const other = mdl('search', file, '--out', cut, '--seed', '10');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(
      /error MDL8001: .*cannot be resumed by this search: it was written by a search with seed 9/,
    );
    noStack(other.err);
  });

  it('takes its settings from flags, and says what is wrong with them', () => {
    const dir = tmp();
    const file = join(dir, 'tiny.mdl');
    writeFileSync(file, TINY);
    const ok = mdl(
      'search',
      file,
      '--algorithm',
      'evolution(population=3, iterations=10)',
      '--maximize',
      'params',
      '--constraint',
      'macs<=20000',
    );
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/evolution\(population=3, iterations=10\)/);
    expect(ok.out).toMatch(/constraints: macs ≤ 20,000/);
    const cases: [string[], RegExp][] = [
      [['--algorithm', 'anneal(n=3)', '--maximize', 'params'], /MDL7001: unknown algorithm "anneal"/],
      [['--algorithm', 'random(n=', '--maximize', 'params'], /MDL7001: --algorithm: expected/],
      [['--maximize', 'parms'], /MDL7001: `maximize` must name objectives/],
      [['--maximize', 'params', '--seed', '-1'], /MDL7001: --seed must be a non-negative integer/],
    ];
    for (const [flags, want] of cases) {
      const r = mdl('search', file, ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err).toMatch(want);
      noStack(r.err);
    }
  });
});
