// `mdl unlearn` end to end: on a linear model with MSE, where the linearisation is exact, the
// unlearned checkpoint is ridge regression fitted on the retain set alone (float64 Jacobians on
// the reference interpreter; float32 ones on WebGPU); only the selected layers change; the
// Jacobian modes and solve forms agree; bad input is a coded error without a stack trace.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { idx } from '../helpers/idx.js';
import { mdl } from '../helpers/cli.js';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

const N = 40;
const D = 9;
const C = 10;
const LAMBDA = 0.01;

/** A folder of N random 3×3 images with labels i mod 10, and the model files. */
function setup(): { dir: string; pixels: Uint8Array; labels: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'mdl-unlearn-'));
  let s = 12345;
  const pixels = Uint8Array.from({ length: N * D }, () => (s = (s * 1103515245 + 12345) % 2 ** 31) % 256);
  const labels = Uint8Array.from({ length: N }, (_, i) => i % C);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([N, 3, 3], pixels));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([N], labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([N, 3, 3], pixels));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([N], labels));
  writeFileSync(
    join(dir, 'lin.mdl'),
    'model lin(x: Tensor[B, 1, 3, 3]) {\n  return linear(flatten(x), 10) as "fc"\n}\n',
  );
  writeFileSync(
    join(dir, 'mlp.mdl'),
    'model mlp2(x: Tensor[B, 1, 3, 3]) {\n  h = relu(linear(flatten(x), 6) as "fc1")\n  return linear(h, 10) as "fc2"\n}\n\ntrain small {\n  model = mlp2()\n  batch = 8\n}\n',
  );
  return { dir, pixels, labels };
}

/** Gauss–Jordan with partial pivoting, float64. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[p]![k]!)) p = i;
    [m[k], m[p]] = [m[p]!, m[k]!];
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = m[i]![k]! / m[k]![k]!;
      for (let j = k; j <= n; j++) m[i]![j]! -= f * m[k]![j]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Ridge regression of ±1 targets on [x, 1] over the samples idx: fc.weight [10, 9] and fc.bias [10]. */
function ridge(pixels: Uint8Array, labels: Uint8Array, idx: number[]): { w: Float64Array; b: Float64Array } {
  const w = new Float64Array(C * D);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const A = Array.from({ length: D + 1 }, () => new Array<number>(D + 1).fill(0));
    const rhs = new Array<number>(D + 1).fill(0);
    for (const i of idx) {
      const z = [...Array.from(pixels.subarray(i * D, (i + 1) * D), (p) => p / 255), 1];
      const y = labels[i] === c ? 1 : -1;
      for (let p = 0; p <= D; p++) {
        rhs[p]! += z[p]! * y;
        for (let q = 0; q <= D; q++) A[p]![q]! += z[p]! * z[q]!;
      }
    }
    for (let p = 0; p <= D; p++) A[p]![p]! += idx.length * LAMBDA;
    const sol = solve(A, rhs);
    for (let j = 0; j < D; j++) w[c * D + j] = sol[j]!;
    b[c] = sol[D]!;
  }
  return { w, b };
}

const IDENTITY_NORM = JSON.stringify({ mean: [0], std: [1] });

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('mdl unlearn on a linear model with MSE', () => {
  const { dir, pixels, labels } = setup();
  const all = Array.from({ length: N }, (_, i) => i);
  const star = ridge(pixels, labels, all);
  const ckpt = join(dir, 'star.safetensors');
  writeCheckpoint(ckpt, {
    tensors: new Map([
      ['fc.weight', { shape: [C, D], data: Float32Array.from(star.w) }],
      ['fc.bias', { shape: [C], data: Float32Array.from(star.b) }],
    ]),
    metadata: { normalisation: IDENTITY_NORM },
  });
  const run = (out: string, ...extra: string[]) =>
    mdl(
      'unlearn',
      join(dir, 'lin.mdl'),
      '--checkpoint',
      ckpt,
      '--data',
      dir,
      '--layers',
      'linear',
      '--loss',
      'mse',
      '--lambda',
      String(LAMBDA),
      '--out',
      join(dir, out),
      ...extra,
    );

  it('equals ridge regression on the retain set (float64 Jacobians, both forms)', () => {
    const gold = ridge(
      pixels,
      labels,
      all.filter((i) => labels[i] !== 3 && labels[i] !== 7),
    );
    // The forget set changes the fit by much more than the tolerance.
    expect(maxDiff(star.w, gold.w)).toBeGreaterThan(1e-2);
    for (const form of ['kernel', 'primal']) {
      const r = run(`${form}.safetensors`, '--forget-classes', '3,7', '--backend', 'reference', '--form', form);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`${form} form`);
      const c = readCheckpoint(join(dir, `${form}.safetensors`));
      expect(maxDiff(c.tensors.get('fc.weight')!.data, gold.w)).toBeLessThan(1e-6);
      expect(maxDiff(c.tensors.get('fc.bias')!.data, gold.b)).toBeLessThan(1e-6);
      expect(c.metadata['method']).toBe('fast-ntk');
      expect(c.metadata['forget_samples']).toBe('8');
    }
  });

  it('a file of indices forgets those samples; on WebGPU within float32 tolerance', () => {
    const forget = [0, 5, 11, 12, 30];
    writeFileSync(join(dir, 'forget.txt'), forget.join('\n') + '\n');
    const gold = ridge(
      pixels,
      labels,
      all.filter((i) => !forget.includes(i)),
    );
    const r = run('gpu.safetensors', '--forget-indices', join(dir, 'forget.txt'), '--backend', 'webgpu');
    expect(r.code, r.err).toBe(0);
    const c = readCheckpoint(join(dir, 'gpu.safetensors'));
    expect(maxDiff(c.tensors.get('fc.weight')!.data, gold.w)).toBeLessThan(1e-3);
    expect(maxDiff(c.tensors.get('fc.bias')!.data, gold.b)).toBeLessThan(1e-3);
    expect(maxDiff(star.w, gold.w)).toBeGreaterThan(1e-2);
  });

  it('an empty forget set changes nothing', () => {
    writeFileSync(join(dir, 'empty.txt'), '\n');
    const r = run('same.safetensors', '--forget-indices', join(dir, 'empty.txt'), '--backend', 'reference');
    expect(r.code, r.err).toBe(0);
    const c = readCheckpoint(join(dir, 'same.safetensors'));
    expect(Array.from(c.tensors.get('fc.weight')!.data)).toEqual(Array.from(Float32Array.from(star.w)));
    expect(Array.from(c.tensors.get('fc.bias')!.data)).toEqual(Array.from(Float32Array.from(star.b)));
  });
});

describe('mdl unlearn on a two-layer network', () => {
  const { dir } = setup();
  const ckpt = join(dir, 'mlp.safetensors');
  let s = 7;
  const rand = (n: number) =>
    Float32Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.8);
  const init = new Map([
    ['fc1.weight', { shape: [6, D], data: rand(6 * D) }],
    ['fc1.bias', { shape: [6], data: rand(6) }],
    ['fc2.weight', { shape: [C, 6], data: rand(C * 6) }],
    ['fc2.bias', { shape: [C], data: rand(C) }],
  ]);
  writeCheckpoint(ckpt, { tensors: init, metadata: { normalisation: IDENTITY_NORM } });
  const run = (out: string, ...extra: string[]) =>
    mdl(
      'unlearn',
      join(dir, 'mlp.mdl'),
      '--checkpoint',
      ckpt,
      '--data',
      dir,
      '--forget-classes',
      '2',
      '--backend',
      'reference',
      '--out',
      join(dir, out),
      ...extra,
    );

  it('only the selected layers change', () => {
    const r = run('fc2.safetensors', '--layers', 'fc2');
    expect(r.code, r.err).toBe(0);
    const c = readCheckpoint(join(dir, 'fc2.safetensors'));
    for (const k of ['fc1.weight', 'fc1.bias'])
      expect(Array.from(c.tensors.get(k)!.data)).toEqual(Array.from(init.get(k)!.data));
    for (const k of ['fc2.weight', 'fc2.bias'])
      expect(maxDiff(c.tensors.get(k)!.data, init.get(k)!.data)).toBeGreaterThan(1e-4);
  });

  it('forward- and reverse-mode Jacobians give the same update, in either form', () => {
    const outs = [
      ['fwd.safetensors', '--jacobian', 'forward', '--form', 'kernel'],
      ['rev.safetensors', '--jacobian', 'reverse', '--form', 'primal'],
    ].map(([out, ...flags]) => {
      const r = run(out!, '--layers', 'fc1,fc2', ...flags);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`${flags[1]} mode`);
      return readCheckpoint(join(dir, out!));
    });
    for (const k of init.keys()) {
      expect(maxDiff(outs[0]!.tensors.get(k)!.data, outs[1]!.tensors.get(k)!.data)).toBeLessThan(1e-6);
      expect(maxDiff(outs[0]!.tensors.get(k)!.data, init.get(k)!.data)).toBeGreaterThan(1e-4);
    }
  });

  it('--evaluate prints accuracies and the attack for the original and the unlearned model', () => {
    const r = run('eval.safetensors', '--layers', 'fc2', '--evaluate');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^model\s+forget acc\s+retain acc\s+test acc\s+MIA AUC/);
    expect(r.out).toContain('original');
    expect(r.out).toContain('Fast-NTK');
  });

  it('--baselines retrains from scratch and fine-tunes on every retained sample', () => {
    const json = join(dir, 'eval.json');
    const r = run(
      'base.safetensors',
      '--layers',
      'fc2',
      '--retain',
      '10',
      '--evaluate',
      '--baselines',
      '--epochs',
      '1',
      '--json',
      json,
    );
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(readFileSync(json, 'utf8')) as { retain: number; rows: { name: string; seconds: number }[] };
    expect(res.retain).toBe(10);
    expect(res.rows.map((x) => x.name)).toEqual(['original', 'Fast-NTK', 'retrain', 'fine-tune']);
    expect(res.rows[2]!.seconds).toBeGreaterThan(0);
    // The baselines train on all 36 samples outside class 2, not on the update's 10.
    for (const b of ['retrain', 'finetune']) {
      const start = JSON.parse(readFileSync(join(dir, `base.${b}`, 'metrics.jsonl'), 'utf8').split('\n')[0]!);
      expect(start.train_samples).toBe(36);
    }
  });

  it('an unlearn section holds the settings; flags override them; its mistakes are located', () => {
    const file = join(dir, 'sec.mdl');
    writeFileSync(
      file,
      readFileSync(join(dir, 'mlp.mdl'), 'utf8') +
        '\nunlearn forget2 {\n  model = mlp2()\n  forget_classes = [2]\n  layers = "fc2"\n  lambda = 0.001\n}\n',
    );
    const a = mdl(
      'unlearn',
      file,
      '--checkpoint',
      ckpt,
      '--data',
      dir,
      '--backend',
      'reference',
      '--out',
      join(dir, 'sec.safetensors'),
    );
    expect(a.code, a.err).toBe(0);
    expect(a.err).toContain('unlearning 4 of 40 training samples');
    // The section's settings give what the same flags give.
    const b = run('flags.safetensors', '--layers', 'fc2');
    expect(b.code, b.err).toBe(0);
    const [ca, cb] = [readCheckpoint(join(dir, 'sec.safetensors')), readCheckpoint(join(dir, 'flags.safetensors'))];
    for (const k of init.keys())
      expect(Array.from(ca.tensors.get(k)!.data)).toEqual(Array.from(cb.tensors.get(k)!.data));
    // A flag overrides the section: another forget class, another result.
    const c = mdl(
      'unlearn',
      file,
      '--checkpoint',
      ckpt,
      '--data',
      dir,
      '--backend',
      'reference',
      '--forget-classes',
      '5',
      '--out',
      join(dir, 'sec5.safetensors'),
    );
    expect(c.code, c.err).toBe(0);
    expect(readCheckpoint(join(dir, 'sec5.safetensors')).metadata['forget']).toBe('classes 5');
    writeFileSync(
      file,
      readFileSync(join(dir, 'mlp.mdl'), 'utf8') +
        '\nunlearn bad {\n  model = mlp2()\n  lamda = 0.1\n  loss = "hinge"\n}\n',
    );
    const d = mdl('unlearn', file, '--checkpoint', ckpt, '--data', dir, '--forget-classes', '1');
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/sec\.mdl:\d+:\d+: error MDL3001: an unlearn section has no setting `lamda`/);
    expect(d.err).toContain('did you mean `lambda`?');
    noStack(d.err);
  });

  it('bad flags and inputs are coded errors', () => {
    const cases: [string[], string, RegExp][] = [
      [['--layers', 'fc2', '--forget-indices', 'forget.txt'], 'MDL7005', /exclude each other/],
      [['--layers', 'fc9'], 'MDL8601', /selects no layer/],
      [[], 'MDL8601', /batchnorm2d selects no layer/],
      [['--layers', 'fc2', '--forget-indices', 'x.txt'], 'MDL7005', /exclude each other/],
      [['--layers', 'fc2', '--lambda', '-1'], 'MDL7001', /--lambda must be ≥ 0/],
      [['--layers', 'fc2', '--form', 'dual'], 'MDL7001', /unknown form/],
      [['--layers', 'fc2', '--jacobian', 'sideways'], 'MDL7001', /unknown Jacobian mode/],
      [['--layers', 'fc2', '--out', ckpt], 'MDL7005', /is the checkpoint being unlearned/],
      [['--layers', 'fc2', '--baselines'], 'MDL7005', /--baselines belongs to the evaluation/],
      [['--layers', 'fc2', '--evaluate', '--epochs', '2'], 'MDL7005', /--epochs sets a baseline/],
      [
        ['--layers', 'fc2', '--jacobian', 'batchnorm'],
        'MDL7001',
        /batchnorm mode takes the weights and biases of batchnorm2d layers only/,
      ],
    ];
    for (const [flags, code, msg] of cases) {
      const r = run('bad.safetensors', ...flags);
      expect(r.code, r.err).not.toBe(0);
      expect(r.err).toContain(code);
      expect(r.err).toMatch(msg);
      noStack(r.err);
    }
    const bad = mdl(
      'unlearn',
      join(dir, 'mlp.mdl'),
      '--checkpoint',
      ckpt,
      '--data',
      dir,
      '--forget-classes',
      '12',
      '--layers',
      'fc2',
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('MDL8602');
    writeFileSync(join(dir, 'oob.txt'), '1 2 400');
    const oob = mdl(
      'unlearn',
      join(dir, 'mlp.mdl'),
      '--checkpoint',
      ckpt,
      '--data',
      dir,
      '--forget-indices',
      join(dir, 'oob.txt'),
      '--layers',
      'fc2',
    );
    expect(oob.err).toMatch(/MDL8602.*"400" is not an index of the 40 training samples/);
    const none = mdl('unlearn', join(dir, 'mlp.mdl'), '--data', dir, '--forget-classes', '1');
    expect(none.err).toContain('MDL7005');
    noStack(none.err);
  });
});
