// `mdl score` as users run it: real processes, files, exit codes.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NB201_CSV, nb201Ops } from './helpers.js';
import { mdl } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mdl-score-'));
const lines = (s: string) => s.split('\n').filter(Boolean);
const json = (s: string) => lines(s).map((l) => JSON.parse(l) as Record<string, number | string>);
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('mdl score', () => {
  it('streams one JSON line per candidate with its name, hash and proxies', () => {
    const r = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '30',
      '--seed',
      '1',
      '--proxies',
      'params,macs,nn_mass',
      '--workers',
      '0',
    );
    expect(r.code).toBe(0);
    const rows = json(r.out);
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['index', 'arch', 'hash', 'params', 'macs', 'nn_mass']);
      expect(row['hash']).toMatch(/^[0-9a-f]{14}$/);
      const ops = nb201Ops(row['arch'] as string);
      const n3 = ops.filter((o) => o === 'nor_conv_3x3').length;
      const n1 = ops.filter((o) => o === 'nor_conv_1x1').length;
      expect(row['params']).toBe(73_306 + 243_040 * n3 + 28_000 * n1);
    }
    expect(r.err).toContain('space cifar10: 15,625 candidates (6 choices)');
  });

  it('worker threads (beside the main thread) give the same output, in the same order, as scoring in-process', () => {
    // Enough candidates that the worker, once it has opened the space, scores chunks too.
    const a = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '1500',
      '--seed',
      '5',
      '--proxies',
      'params,nn_degree',
      '--workers',
      '2',
    );
    const b = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '1500',
      '--seed',
      '5',
      '--proxies',
      'params,nn_degree',
      '--workers',
      '0',
    );
    expect(a.code).toBe(0);
    expect(a.err).toContain('2 threads');
    expect(b.err).toContain('in-process');
    expect(a.out).toBe(b.out);
  });

  it('resumes: a rerun scores only what --out does not hold yet', () => {
    const out = join(tmp(), 'rows.jsonl');
    expect(
      mdl('score', 'examples/nb201.mdl', '--sample', '20', '--seed', '3', '--proxies', 'params', '--out', out).code,
    ).toBe(0);
    // An interrupted run leaves a torn last line: it is ignored and scored again.
    writeFileSync(out, readFileSync(out, 'utf8') + '{"index":12,"ar');
    const r = mdl('score', 'examples/nb201.mdl', '--sample', '40', '--seed', '3', '--proxies', 'params', '--out', out);
    expect(r.code).toBe(0);
    expect(r.err).toContain('20 already in');
    const rows = json(readFileSync(out, 'utf8').replace('{"index":12,"ar', '\n'));
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((x) => x['index'])).size).toBe(40);
    // Resuming with proxies the file lacks would mix rows: refused.
    const bad = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '40',
      '--seed',
      '3',
      '--proxies',
      'params,macs',
      '--out',
      out,
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('holds rows scored without macs');
  });

  it('shards split a run deterministically, and --merge joins them into the unsharded result', () => {
    const dir = tmp();
    const whole = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '25',
      '--seed',
      '9',
      '--proxies',
      'params,macs',
      '--workers',
      '0',
    );
    const parts = [0, 1, 2].map((s) => {
      const f = join(dir, `part${s}.csv`);
      expect(
        mdl(
          'score',
          'examples/nb201.mdl',
          '--sample',
          '25',
          '--seed',
          '9',
          '--proxies',
          'params,macs',
          '--shard',
          `${s}/3`,
          '--out',
          f,
        ).code,
      ).toBe(0);
      return f;
    });
    expect(lines(readFileSync(parts[0]!, 'utf8'))[0]).toBe('index,arch,hash,params,macs,error');
    const merged = join(dir, 'all.jsonl');
    const m = mdl('score', '--merge', ...parts, '--out', merged);
    expect(m.code).toBe(0);
    expect(m.err).toContain('merged 25 rows from 3 files');
    const byIndex = (rows: Record<string, number | string>[]) =>
      [...rows].sort((a, b) => Number(a['index']) - Number(b['index']));
    expect(json(readFileSync(merged, 'utf8'))).toEqual(byIndex(json(whole.out)));
  });

  it('--against reports τ, ρ and top-k overlap per proxy; --plot writes an SVG with a Pareto front', () => {
    const dir = tmp();
    const svg = join(dir, 'plot.svg');
    const r = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '400',
      '--seed',
      '0',
      '--proxies',
      'params,macs,nn_mass',
      '--out',
      join(dir, 'r.csv'),
      '--against',
      NB201_CSV,
      '--plot',
      svg,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '400 of 400 candidates matched on column ArchitectureString; truth: CIFAR10TestAccuracy200Epochs',
    );
    expect(r.out).toMatch(/params\s+\+\s+400\s+0\.\d{4}\s+0\.7\d{3}/);
    expect(r.out).toContain('top-1% (k=4)');
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
    expect(text).toContain('Pareto front: CIFAR10TestAccuracy200Epochs vs macs');
    expect(text).toContain('nn_mass (ρ = ');
  });

  it('--unique writes the first row of each distinct function; --format csv', () => {
    const all = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '600',
      '--seed',
      '4',
      '--proxies',
      'params',
      '--format',
      'csv',
    );
    const unique = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '600',
      '--seed',
      '4',
      '--proxies',
      'params',
      '--format',
      'csv',
      '--unique',
    );
    expect(unique.code).toBe(0);
    const rows = (s: string) =>
      lines(s)
        .slice(1)
        .map((l) => l.split(','));
    expect(lines(all.out)[0]).toBe('index,arch,hash,params,error');
    const firsts = new Map<string, string[]>();
    for (const r of rows(all.out)) if (!firsts.has(r[2]!)) firsts.set(r[2]!, r);
    expect(rows(unique.out)).toEqual([...firsts.values()]);
    expect(unique.err).toContain(
      `${firsts.size.toLocaleString('en')} new distinct functions by canonical hash, ${firsts.size.toLocaleString('en')} rows written`,
    );
  });

  it('usage errors exit 2 with a hint; model errors exit 1; never a stack trace', () => {
    const cases: [string[], number, string][] = [
      [['score', 'examples/nb201.mdl', '--proxies', 'params,zen'], 2, 'unknown proxy "zen"'],
      [['score', 'examples/nb201.mdl', '--shard', '3/3'], 2, '--shard takes I/N with 0 ≤ I < N'],
      [['score', 'examples/nb201.mdl', '--plot', 'x.svg'], 2, '--plot needs --against'],
      [['score', 'examples/nb201.mdl', '--seed', '1'], 2, '--seed goes with --sample N'],
      [['score', 'examples/resnet18.mdl'], 1, 'examples/resnet18.mdl defines no space'],
      [['score', 'no/such.mdl'], 1, 'cannot read no/such.mdl'],
    ];
    for (const [args, code, msg] of cases) {
      const r = mdl(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err).toContain(msg);
      noStack(r.err);
    }
    expect(existsSync('x.svg')).toBe(false);
  });
});
