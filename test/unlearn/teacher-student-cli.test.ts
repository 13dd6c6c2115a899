// `mdl train` on a section with `unlearning = teacher_student(…)`, end to end on a tiny masked
// autoencoder and a folder of 8×8 images: the written checkpoint holds the model's tensors only,
// the decoder's unchanged bit for bit and the encoder's moved; without --init it is a coded error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initParams } from '../../compiler/reference/init.js';
import { readCheckpoint, writeCheckpoint } from '../../runtime/checkpoint/safetensors.js';
import { graphOf } from '../helpers/compile.js';
import { idx } from '../helpers/idx.js';
import { TINY_MAE } from '../helpers/tiny-mae.js';
import { mdl } from '../helpers/cli.js';

const MODEL = `${TINY_MAE}
train forget {
  model = tiny()
  unlearning = teacher_student(forget_classes=[1, 2], alpha=1, per_class=4)
  optimizer = adamw(lr=0.01)
  batch = 8
  epochs = 2
}
`;

describe('mdl train with unlearning = teacher_student(…)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdl-ts-'));
  const N = 60;
  let s = 7;
  const pixels = Uint8Array.from({ length: N * 64 }, () => (s = (s * 1103515245 + 12345) % 2 ** 31) % 256);
  const labels = Uint8Array.from({ length: N }, (_, i) => i % 10);
  for (const [img, lab] of [
    ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
    ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
  ] as const) {
    writeFileSync(join(dir, img), idx([N, 8, 8], pixels));
    writeFileSync(join(dir, lab), idx([N], labels));
  }
  const file = join(dir, 'tiny.mdl');
  writeFileSync(file, MODEL);
  const g = graphOf(MODEL);
  const init = initParams(g, 3, 'f32');
  const ck = join(dir, 'trained.safetensors');
  writeCheckpoint(ck, {
    tensors: new Map([...init].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }])),
    metadata: {},
  });

  it('trains the encoder only and writes the whole model', () => {
    const out = join(dir, 'out');
    const r = mdl('train', file, '--data', dir, '--init', ck, '--out', out);
    expect(r.err).toMatch(/teacher–student unlearning of classes 1, 2 from tiny/);
    expect(r.code).toBe(0);
    // 4 images of each of 10 classes, batch 8: 5 steps an epoch, 2 epochs.
    expect(r.err).toMatch(/10 steps on 32 retain and 8 forget images/);
    const c = readCheckpoint(join(out, 'checkpoint.safetensors'));
    expect([...c.tensors.keys()].sort()).toEqual(g.params.map((p) => p.name).sort());
    expect(c.metadata['method']).toBe('teacher-student');
    for (const name of ['dec.weight', 'dec.bias', 'mask_token'])
      expect([...c.tensors.get(name)!.data]).toEqual([...Float32Array.from(init.get(name)!.data)]);
    for (const name of ['embed.weight', 'enc.weight']) {
      const before = Float32Array.from(init.get(name)!.data);
      const after = c.tensors.get(name)!.data;
      expect(after.some((v, i) => v !== before[i])).toBe(true);
    }
  }, 300_000);

  it('without --init is a coded error, without a stack trace', () => {
    const r = mdl('train', file, '--data', dir, '--out', join(dir, 'x'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/MDL8607/);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
