// The command line's conventions: --version; every command answers --help (and `mdl help CMD`)
// with each of its flags and what it does; results on stdout, logs and progress on stderr
// (a plain progress line now and then when stderr is not a terminal); a closed pipe ends the
// output quietly; --warmup 0; `--format json` is not silently JSON lines; a CSV table with a
// byte-order mark works; the --against table as JSON.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../compiler/cli/args.js';
import { COMMANDS } from '../../compiler/cli/commands/index.js';
import { SPECS } from '../../compiler/cli/commands/specs.js';
import { commandHelp, flagHelp } from '../../compiler/cli/help.js';
import { parseCsv } from '../../compiler/space/table.js';
import { countProgress } from '../../runtime/train/progress.js';
import { NB201_CSV } from '../space/helpers.js';
import { mdlWithin } from '../helpers/cli.js';

const CLI = 'dist/compiler/cli/main.js';
const ENV = { ...process.env, XDG_RUNTIME_DIR: '/tmp' };

const mdl = (...args: string[]) => mdlWithin(300_000, ...args);

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('help and version', () => {
  it('mdl --version prints the version of package.json', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = mdl(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${version}\n`);
    }
  });

  it('every command is listed under its own name and loads the code of that command', async () => {
    for (const [name, spec] of Object.entries(SPECS)) {
      expect(spec.name).toBe(name);
      const cmd = await COMMANDS[name as keyof typeof SPECS]();
      expect(cmd.spec, name).toBe(spec);
    }
  });

  it('every flag of every command has a text saying what it does', () => {
    const missing = Object.values(SPECS).flatMap((c) =>
      Object.keys(c.flags)
        .filter((f) => !flagHelp(c.name, f))
        .map((f) => `mdl ${c.name} --${f}`),
    );
    expect(missing).toEqual([]);
  });

  it('every command answers --help and `mdl help CMD` on stdout, listing each flag', () => {
    for (const c of Object.values(SPECS)) {
      const text = commandHelp(c);
      for (const f of Object.keys(c.flags))
        expect(text, `mdl ${c.name}`).toMatch(new RegExp(`--${f}\\b.*  ${flagHelp(c.name, f)!.slice(0, 12)}`));
    }
    // Through the command line, for two commands (each run starts a Node process).
    const a = mdl('train', '--help');
    expect(a.code).toBe(0);
    expect(a.err).toBe('');
    expect(a.out).toContain('usage: mdl train FILE');
    expect(a.out).toMatch(/--warmup N\s+learning-rate warm-up steps/);
    expect(a.out).toMatch(/-o, --out VALUE|--init VALUE/);
    expect(mdl('help', 'train').out).toBe(a.out);
    const b = mdl('compile', 'examples/lenet5.mdl', '-h');
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/-o, --out VALUE\s+the output folder/);
    const c = mdl('help', 'nonsense');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/MDL7002/);
  });
});

describe('output streams', () => {
  it('mdl train: the result on stdout, progress and logs on stderr', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mdl-streams-')), 'run');
    const r = mdl(
      'train',
      'examples/mlp.mdl',
      '--backend',
      'reference',
      '--epochs',
      '1',
      '--limit',
      '64',
      '--warmup',
      '0',
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^done: \d+ steps, test accuracy [\d.]+%; checkpoint .*\n$/);
    expect(r.err).toMatch(/^training mlp_classifier on /);
    expect(r.err).toMatch(/epoch 1\/1: mean loss/);
    expect(r.err).not.toContain('done:');
  }, 300_000);

  it('progress off a terminal: a plain line at the start and then every few seconds, never a redraw', () => {
    let text = '';
    const stream = { isTTY: false, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
    const p = countProgress('candidates', stream);
    p.update(1, 100);
    p.update(2, 100);
    p.update(100, 100);
    p.end();
    expect(text).toMatch(/^1\/100 candidates {2}[\d,]+\/s {2}ETA [\d:-]+\n$/);
    expect(text).not.toContain('\r');
  });

  it('a closed pipe ends the output quietly', () => {
    // vit_b16's JSON summary is larger than a pipe's buffer: `head` closes the pipe mid-write.
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; ${process.execPath} ${CLI} summary examples/vit_b16.mdl --json | head -c 20 >/dev/null`],
      { encoding: 'utf8', env: ENV },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('flags and tables', () => {
  it('--warmup 0 and --epochs 0 are accepted; a negative count is not', () => {
    const spec = SPECS.train;
    const p = parseArgs(spec, ['a.mdl', '--warmup', '0', '--epochs', '0']);
    expect(p.flags.get('warmup')).toBe(0);
    expect(p.flags.get('epochs')).toBe(0);
    expect(() => parseArgs(spec, ['a.mdl', '--warmup', '-1'])).toThrow(/whole number/);
    expect(() => parseArgs(spec, ['a.mdl', '--batch', '0'])).toThrow(/positive integer/);
  });

  it('--format json is an error that names the format it meant', () => {
    const r = mdl('score', 'examples/nb201.mdl', '--sample', '2', '--proxies', 'params', '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/MDL7001.*--format json is not a format/);
    expect(r.err).toContain('--format jsonl');
    noStack(r.err);
  });

  it('a CSV with a byte-order mark: its first column keeps its name', () => {
    expect(parseCsv('\uFEFFname,acc\r\na,1\r\n')).toEqual([
      ['name', 'acc'],
      ['a', '1'],
    ]);
  });

  it('--against with --truth on a table with a byte-order mark, its report as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-bom-'));
    const table = join(dir, 'truth.csv');
    writeFileSync(table, '\uFEFF' + gunzipSync(readFileSync(NB201_CSV)).toString('utf8'));
    // The truth is the first column: the one a byte-order mark would rename.
    const truth = 'CIFAR10TestAccuracy200Epochs';
    const r = mdl(
      'score',
      'examples/nb201.mdl',
      '--sample',
      '60',
      '--seed',
      '1',
      '--proxies',
      'params,macs',
      '--out',
      join(dir, 'r.jsonl'),
      '--against',
      table,
      '--key',
      'ArchitectureString',
      '--truth',
      truth,
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as {
      key: string;
      truth: string;
      matched: number;
      proxies: { proxy: string; kendall: number; spearman: number }[];
    };
    expect(rep.key).toBe('ArchitectureString');
    expect(rep.truth).toBe(truth);
    expect(rep.matched).toBe(60);
    expect(rep.proxies.map((p) => p.proxy)).toEqual(['params', 'macs']);
    for (const p of rep.proxies) expect(p.spearman).toBeGreaterThan(0.3);
  }, 120_000);
});
