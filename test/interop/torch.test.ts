// Weights that travel between mdl and PyTorch, both ways, through files alone: LeNet-5 trained
// by `mdl train` loads into the same network built in PyTorch with load_state_dict(strict=True)
// and gives the same logits; a PyTorch initialisation given to `mdl train --init` (with no
// epoch to train) becomes the run's checkpoint unchanged and gives PyTorch's logits in mdl.
//
// PyTorch is Debian's python3-torch (`.ci/run` installs it). Without it the test is skipped,
// unless MDL_REQUIRE_TORCH is set (as CI sets it), where a missing torch fails it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { planModel } from '../../compiler/emit/plan-model.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { readCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { acquireDevice, type Acquired } from '../../runtime/device.js';
import { CompiledModel } from '../../runtime/model.js';
import { compileFile } from '../helpers/compile.js';

const SCRIPT = 'test/interop/lenet_torch.py';
const CLI = 'dist/compiler/cli/main.js';
// MDL_PYTHON if set; else the system's python3 (Debian's torch lives there, whatever else is
// first on PATH), else the first python3 on PATH.
const candidates = process.env['MDL_PYTHON'] ? [process.env['MDL_PYTHON']] : ['/usr/bin/python3', 'python3'];
const PYTHON =
  candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? candidates[0]!;
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const required = process.env['MDL_REQUIRE_TORCH'] !== undefined;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  expect(r.status, `${cmd} ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stderr;
}

/** Eight samples of a fixed pattern with values of either sign (as normalised inputs are). */
function inputs(n = 8): Float32Array {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = ((((i * 2654435761) >>> 0) % 2001) - 1000) / 500;
  return x;
}

let acq: Acquired | undefined;
afterAll(() => acq?.device.destroy());

/** mdl's logits of the inputs with the weights of a file, through the runtime API. */
async function mdlLogits(weights: string, x: Float32Array): Promise<Float32Array> {
  acq ??= await acquireDevice();
  const g = compileFile('examples/lenet5.mdl').graph!;
  const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd' } });
  const bundle = planModel(step, g, 8, targetOf(acq.report));
  const m = await CompiledModel.create(bundle, { device: acq, weights });
  try {
    return Float32Array.from(await m.forward(x));
  } finally {
    m.dispose();
  }
}

/** PyTorch's logits of the inputs with the weights of a file, loaded strictly. */
function torchLogits(dir: string, weights: string, x: Float32Array): Float32Array {
  const xs = join(dir, 'x.bin');
  const ys = join(dir, 'y.bin');
  writeFileSync(xs, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  run(PYTHON, [SCRIPT, 'logits', weights, xs, ys]);
  const b = readFileSync(ys);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

describe.skipIf(!hasTorch && !required)('weights shared with PyTorch (LeNet-5)', () => {
  it('PyTorch is there', () => expect(hasTorch, `${PYTHON} cannot import torch`).toBe(true));

  it("PyTorch loads mdl's trained weights strictly and agrees on the logits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-torch-'));
    const out = join(dir, 'run');
    run(process.execPath, [CLI, 'train', 'examples/lenet5.mdl', '--epochs', '1', '--limit', '320', '--out', out]);
    const ckpt = join(out, 'checkpoint.safetensors');
    // Weights and biases only: the optimizer's momentum is in the training state beside it.
    expect([...readCheckpoint(ckpt).tensors.keys()].every((k) => !k.includes('@'))).toBe(true);
    const x = inputs();
    const ours = await mdlLogits(ckpt, x);
    const theirs = torchLogits(dir, ckpt, x);
    expect(ours.some((v) => Math.abs(v) > 0.01)).toBe(true);
    expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(1e-5);
  }, 300_000);

  it('a PyTorch initialisation through --init: the same weights, the same logits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdl-torch-'));
    const init = join(dir, 'torch.safetensors');
    run(PYTHON, [SCRIPT, 'save', '7', init]);
    const out = join(dir, 'run');
    const log = run(process.execPath, [
      CLI,
      'train',
      'examples/lenet5.mdl',
      '--init',
      init,
      '--epochs',
      '0',
      '--limit',
      '64',
      '--out',
      out,
    ]);
    expect(log).toMatch(/initialised 10 of 10 parameters/);
    const ckpt = join(out, 'checkpoint.safetensors');
    const saved = readCheckpoint(ckpt).tensors;
    for (const [k, t] of readCheckpoint(init).tensors)
      expect(Array.from(saved.get(k)!.data), k).toEqual(Array.from(t.data));
    const x = inputs();
    expect(maxAbsDiff(await mdlLogits(ckpt, x), torchLogits(dir, init, x))).toBeLessThanOrEqual(1e-5);
  }, 300_000);
});
