// The rewrites from the command line: mdl train under LoRA rules with --merge writes weights the
// plain model loads (W + (α/r)·B·A, no adapters), --init starts from a checkpoint, and misuse is
// a clear error without a stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { mdl } from '../helpers/cli.js';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('mdl train with backward rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdl-rw-'));
  const file = join(dir, 'lora.mdl');
  writeFileSync(
    file,
    `from "${resolve('examples/lenet5.mdl')}" import lenet5\n\ntrain t {\n  model = lenet5()\n  batch = 32\n  epochs = 1\n  optimizer = adam(lr=0.01)\n  backward ["fc1", "fc2"] = lora(rank=4, alpha=8)\n}\n`,
  );

  it('trains only the adapters, and --merge folds them into the weights', () => {
    const out = join(dir, 'run');
    const r = mdl('train', file, '--limit', '96', '--out', out, '--merge');
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).toContain('backward: lora(rank=4, alpha=8) on 2 layers; exact elsewhere');
    const ck = readCheckpoint(join(out, 'checkpoint.safetensors')).tensors;
    const merged = readCheckpoint(join(out, 'merged.safetensors')).tensors;
    expect([...merged.keys()].some((k) => k.includes('lora'))).toBe(false);
    // B moved away from zero, so the merge changes W; W itself was frozen
    const W = ck.get('fc1.weight')!.data;
    const A = ck.get('fc1.lora_A')!.data;
    const B = ck.get('fc1.lora_B')!.data;
    expect(Math.max(...Array.from(B, Math.abs))).toBeGreaterThan(0);
    const [dout, din] = ck.get('fc1.weight')!.shape as [number, number];
    let worst = 0;
    for (let o = 0; o < dout; o++)
      for (let i = 0; i < din; i++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += B[o * 4 + k]! * A[k * din + i]!;
        worst = Math.max(worst, Math.abs(merged.get('fc1.weight')!.data[o * din + i]! - (W[o * din + i]! + 2 * s)));
      }
    expect(worst).toBeLessThan(1e-6);
    // the merged weights start a plain run
    const again = mdl(
      'train',
      'examples/lenet5.mdl',
      '--limit',
      '32',
      '--epochs',
      '1',
      '--init',
      join(out, 'merged.safetensors'),
      '--out',
      join(dir, 'again'),
    );
    expect(again.code, again.err).toBe(0);
    expect(again.out + again.err).toContain('initialised 10 of 10 parameters and buffers from');
  });

  it('misuse is a clear error', () => {
    const a = mdl('train', 'examples/lenet5.mdl', '--merge', '--out', join(dir, 'x'));
    expect(a.code).not.toBe(0);
    expect(a.err).toContain('--merge folds LoRA adapters or NTK offsets into the weights, and this run has none');
    const b = mdl('train', 'examples/lenet5.mdl', '--init', join(dir, 'nope.safetensors'), '--out', join(dir, 'y'));
    expect(b.code).not.toBe(0);
    expect(b.err).toContain('nope.safetensors: no such file');
    for (const r of [a, b]) noStack(r.err);
  });
});
