// `mdl rashomon` as a user meets it: an explore section, a checkpoint, the reference backend on a
// few dozen digits; its JSON lines, table and SVG; the re-training baseline; located errors.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { initParams } from '../../compiler/reference/init.js';
import { graphOf } from '../helpers/compile.js';
import { mdl } from '../helpers/cli.js';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

const MODEL = `model tiny(x: Tensor[B, 1, 28, 28]) {
  h = relu(linear(flatten(x), 12) as "fc1")
  return linear(h, 10) as "fc2"
}
`;

function setup(section: string): { dir: string; file: string; ckpt: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mdl-rashomon-'));
  const file = join(dir, 'tiny.mdl');
  writeFileSync(file, MODEL + section);
  const g = graphOf(MODEL);
  const ckpt = join(dir, 'tiny.safetensors');
  writeCheckpoint(ckpt, {
    tensors: new Map(
      [...initParams(g, 3, 'f32')].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]),
    ),
    metadata: { seed: '0' },
  });
  return { dir, file, ckpt };
}

const SECTION = `
explore quick {
  model = tiny()
  noise = gaussian(max_rate=0.3, rates=3)
  models = 4
  epsilon_max = 0.5
  epsilon_steps = 3
  seed = 7
}
`;

describe('mdl rashomon', () => {
  it('explores with an explore section: JSON lines, table, curves', () => {
    const { dir, file, ckpt } = setup(SECTION);
    const out = join(dir, 'run');
    const r = mdl('rashomon', file, '--checkpoint', ckpt, '--backend', 'reference', '--limit', '30', '--out', out);
    expect(r.err).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ε\s+models\s+ambiguity\s+discrepancy\s+disagreement\s+VPR\s+score var\s+2\^RC/);
    expect(r.out).toMatch(/12 models in/);
    const rows = readFileSync(join(out, 'rashomon.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const run = rows[0]!;
    expect(run['kind']).toBe('run');
    expect(run['noise']).toBe('gaussian');
    expect(run['rates']).toEqual([0, 0.15, 0.3]);
    expect(run['layers']).toEqual(['fc1', 'fc2']);
    expect(run['samples']).toBe(30);
    expect(rows.filter((x) => x['kind'] === 'rate')).toHaveLength(3);
    const eps = rows.filter((x) => x['kind'] === 'epsilon');
    expect(eps.map((x) => x['epsilon'])).toEqual([0, 0.25, 0.5]);
    // The rate-0 models equal the base model: never below its loss, so R(0) holds no copy of it.
    const rate0 = rows.find((x) => x['kind'] === 'rate' && x['rate'] === 0)!;
    expect(rate0['std_loss']).toBe(0);
    expect((rate0['in_set'] as number[])[0]).toBe(0);
    expect((rate0['in_set'] as number[])[1]).toBe(4);
    for (const e of eps) expect(e['ambiguity'] as number).toBeGreaterThanOrEqual(e['discrepancy'] as number);
    expect(readFileSync(join(out, 'curves.svg'), 'utf8')).toContain('Rashomon capacity');
    // The flags override the section; the same seed gives the same models.
    const again = mdl('rashomon', file, '--checkpoint', ckpt, '--backend', 'reference', '--limit', '30', '--out', out);
    const table = (t: string) => t.split('\n').filter((l) => !/models in|results:/.test(l));
    expect(table(again.out)).toEqual(table(r.out));
    const b = mdl(
      'rashomon',
      file,
      '--checkpoint',
      ckpt,
      '--backend',
      'reference',
      '--limit',
      '30',
      '--noise',
      'bernoulli',
      '--rates',
      '2',
      '--models',
      '2',
      '--layers',
      'fc2',
      '--out',
      out,
    );
    expect(b.code).toBe(0);
    const bl = JSON.parse(readFileSync(join(out, 'rashomon.jsonl'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect([bl['noise'], bl['rates'], bl['layers']]).toEqual(['bernoulli', [0, 0.2], ['fc2']]);
  }, 120_000);

  it('runs the re-training baseline through the training machinery', () => {
    const { dir, file, ckpt } = setup('');
    const out = join(dir, 'retrain');
    const args = [
      'rashomon',
      file,
      '--checkpoint',
      ckpt,
      '--backend',
      'reference',
      '--limit',
      '20',
      '--retrain',
      '2',
      '--epochs',
      '1',
      '--train-limit',
      '128',
      '--out',
      out,
    ];
    const r = mdl(...args);
    expect(r.err).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 retrained models in/);
    for (const s of [1, 2]) expect(existsSync(join(out, `seed-${s}`, 'checkpoint.safetensors'))).toBe(true);
    const models = readFileSync(join(out, 'rashomon.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x['kind'] === 'model');
    expect(models.map((m) => m['seed'])).toEqual([1, 2]);
    // A rerun reuses the trained models and their recorded training times.
    const again = mdl(...args);
    expect(again.code).toBe(0);
    expect(again.err).toContain('seed 1: reusing');
  }, 300_000);

  it('reports usage and model errors as coded diagnostics', () => {
    const { file, ckpt } = setup(SECTION.replace('models = 4', 'models = 4\n  modles = 2'));
    const a = mdl('rashomon', file);
    expect(a.code).toBe(2);
    expect(a.err).toContain('error MDL7005');
    const b = mdl('rashomon', file, '--checkpoint', ckpt);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/tiny\.mdl:\d+:\d+: error MDL3001: an explore section has no setting `modles`/);
    const { file: f2, ckpt: c2 } = setup('');
    const c = mdl('rashomon', f2, '--checkpoint', c2, '--layers', 'conv*', '--backend', 'reference');
    expect(c.code).toBe(1);
    expect(c.err).toContain('error MDL8501');
    const other = join(mkdtempSync(join(tmpdir(), 'mdl-rashomon-')), 'other.safetensors');
    writeCheckpoint(other, {
      tensors: new Map([['fc1.weight', { shape: [3, 3], data: new Float32Array(9) }]]),
      metadata: {},
    });
    const d = mdl('rashomon', f2, '--checkpoint', other, '--backend', 'reference');
    expect(d.code).toBe(1);
    expect(d.err).toContain('error MDL5010');
    const e = mdl('rashomon', f2, '--checkpoint', c2, '--noise', 'uniform');
    expect(e.code).toBe(2);
    for (const x of [a, b, c, d, e]) noStack(x.err);
  }, 120_000);
});
