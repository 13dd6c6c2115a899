// Batchnorm layers in eval mode inside training (a train section's freeze_stats): fine-tuning
// from a trained checkpoint with some batchnorm layers' statistics frozen trains, leaves those
// layers' running statistics bit for bit as the checkpoint had them, and updates the others —
// on the reference backend and on WebGPU.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { readCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { memoryHost } from '../helpers/compile.js';
import { mdl } from '../helpers/cli.js';

const MODEL = `model net(x: Tensor[B, 1, 28, 28]) {
  h = relu(batchnorm2d(conv2d(x, 4, 3, stride=2, bias=false) as "conv1") as "bn1")
  h = relu(batchnorm2d(conv2d(h, 8, 3, stride=2, bias=false) as "conv2") as "bn2")
  return linear(flatten(global_avgpool(h)), 10) as "fc"
}
`;
const SECTIONS = `
train base {
  model = net()
  batch = 32
  epochs = 1
}

train ft {
  model = net()
  batch = 32
  epochs = 1
  optimizer = sgd(lr=0.02, momentum=0.9)
  freeze "conv1"
  freeze_stats = "bn1"
}
`;

const stats = (file: string, layer: string) => {
  const t = readCheckpoint(file).tensors;
  return [...t.get(`${layer}.running_mean`)!.data, ...t.get(`${layer}.running_var`)!.data];
};

describe('freeze_stats', () => {
  it('selects batchnorm layers by name; a pattern that selects none is an error', () => {
    const r = compileTraining({ path: 't.mdl', text: MODEL + SECTIONS }, memoryHost({}), { train: 'ft' });
    expect(renderAll(r.diagnostics, r.sources)).toBe('');
    const bn = (name: string) => r.graph!.nodes.find((n) => n.name === name)!.attrs['freeze_stats'];
    expect([bn('bn1'), bn('bn2')]).toEqual([true, false]);
    const bad = compileTraining(
      { path: 't.mdl', text: MODEL + 'train t {\n  model = net()\n  freeze_stats = ["bn1", "bn3"]\n}\n' },
      memoryHost({}),
    );
    expect(bad.graph).toBeUndefined();
    expect(renderAll(bad.diagnostics, bad.sources)).toMatch(
      /error MDL2001: freeze_stats "bn3" matches no batchnorm layer[\s\S]*did you mean `bn1`\?/,
    );
  });

  for (const backend of ['reference', 'webgpu'])
    it(`fine-tuning keeps frozen statistics bit-identical (${backend})`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'mdl-freeze-stats-'));
      const file = join(dir, 'net.mdl');
      writeFileSync(file, MODEL + SECTIONS);
      const common = ['--limit', '96', '--backend', backend, '--log-every', '1'];
      const base = mdl('train', file, '--train', 'base', '--out', join(dir, 'base'), ...common);
      expect(base.code, base.err).toBe(0);
      const start = join(dir, 'base', 'checkpoint.safetensors');
      const ft = mdl('train', file, '--train', 'ft', '--init', start, '--out', join(dir, 'ft'), ...common);
      expect(ft.code, ft.err).toBe(0);
      const end = join(dir, 'ft', 'checkpoint.safetensors');
      // trained statistics to begin with (not the initial zeros and ones)
      expect(stats(start, 'bn1').some((v, i) => v !== (i < 4 ? 0 : 1))).toBe(true);
      expect(stats(end, 'bn1')).toEqual(stats(start, 'bn1'));
      expect(stats(end, 'bn2')).not.toEqual(stats(start, 'bn2'));
      // it trained: the unfrozen weights moved, the frozen convolution did not
      const w = (f: string, p: string) => [...readCheckpoint(f).tensors.get(p)!.data];
      expect(w(end, 'fc.weight')).not.toEqual(w(start, 'fc.weight'));
      expect(w(end, 'conv1.weight')).toEqual(w(start, 'conv1.weight'));
    }, 240_000);
});
