// The training loop on real digits with the reference backend: it learns, it is reproducible,
// an interrupted run resumed from its checkpoint gives exactly the uninterrupted run's losses,
// and checkpoints are safetensors files written atomically.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  readCheckpoint,
} from '../../runtime/checkpoint/safetensors.js';
import { loadData } from '../../runtime/data/resolve.js';
import type { Backend } from '../../runtime/train/backend.js';
import { ReferenceBackend } from '../../compiler/drivers/train/reference-backend.js';
import { ResumeError, train, type TrainConfig } from '../../runtime/train/trainer.js';
import { graphOf } from '../helpers/compile.js';

const data = loadData('mnist');
const graph = graphOf(
  'model tiny(x: Tensor[B, 1, 28, 28]) { return linear(relu(linear(flatten(x), 32) as "fc1"), 10) as "fc2" }',
);
const step = buildTrainStep(graph, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });

function config(outDir: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    source: { path: 'tiny.mdl', hash: 'h1' },
    model: 'tiny',
    data,
    epochs: 2,
    batch: 32,
    lr: 0.05,
    seed: 3,
    optimizer: { kind: 'sgd', momentum: 0.9 },
    schedule: { kind: 'cosine', warmup: 5, minLr: 0 },
    outDir,
    resume: false,
    logEvery: 1,
    limit: 640,
    ...over,
  };
}

const backend = () => new ReferenceBackend(step, graph, [1, 28, 28], 3);
const tmp = () => mkdtempSync(join(tmpdir(), 'mdl-train-'));

/** Aborts the run after `n` steps, as Ctrl-C would. */
function stopAfter(b: Backend, n: number, controller: AbortController): Backend {
  let k = 0;
  return {
    description: b.description,
    async step(...a: Parameters<Backend['step']>) {
      const r = await b.step(...a);
      if (++k === n) controller.abort();
      return r;
    },
    predict: (x, size) => b.predict(x, size),
    state: () => b.state(),
    load: (s) => b.load(s),
    dispose: () => b.dispose(),
  };
}

describe('training loop', () => {
  it('learns, and resuming an interrupted run reproduces the uninterrupted one exactly', async () => {
    const full = await train(backend(), config(tmp()));
    expect(full.steps).toBe(40);
    expect(full.epochs).toHaveLength(2);
    const first = full.losses.slice(0, 5).reduce((s, l) => s + l.loss, 0) / 5;
    const last = full.losses.slice(-5).reduce((s, l) => s + l.loss, 0) / 5;
    expect(last).toBeLessThan(first * 0.6);
    expect(full.epochs[1]!.testAccuracy).toBeGreaterThan(0.7);

    const dir = tmp();
    const controller = new AbortController();
    const b1 = backend();
    const cut = await train(stopAfter(b1, 27, controller), config(dir, { signal: controller.signal }));
    expect(cut.interrupted).toBe(true);
    expect(cut.steps).toBe(27);
    expect(readCheckpoint(join(dir, 'checkpoint.safetensors')).metadata['step']).toBe('27');

    const resumed = await train(backend(), config(dir, { resume: true }));
    expect(resumed.steps).toBe(40);
    expect([...cut.losses, ...resumed.losses]).toEqual(full.losses);
    expect(resumed.epochs[resumed.epochs.length - 1]!.testAccuracy).toBe(full.epochs[1]!.testAccuracy);
    // Metrics are one JSON object per line, a start record first.
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].kind).toBe('start');
    expect(lines.some((l) => l.kind === 'interrupted' && l.step === 27)).toBe(true);
    expect(lines.filter((l) => l.kind === 'epoch').map((l) => l.epoch)).toEqual([1, 2]);
  }, 120_000);

  it('never overwrites a checkpoint, and resumes only its own model and settings', async () => {
    const dir = tmp();
    await train(backend(), config(dir, { epochs: 1, limit: 64 }));
    await expect(train(backend(), config(dir, { epochs: 1, limit: 64 }))).rejects.toThrow(
      /already holds a checkpoint; continue it with --resume/,
    );
    await expect(
      train(backend(), config(dir, { resume: true, limit: 64, source: { path: 'tiny.mdl', hash: 'other' } })),
    ).rejects.toThrow(ResumeError);
    await expect(train(backend(), config(dir, { resume: true, limit: 64, batch: 16 }))).rejects.toThrow(
      /trained with batch 32, this run has 16/,
    );
    await expect(train(backend(), config(tmp(), { resume: true }))).rejects.toThrow(/no checkpoint/);
  }, 60_000);
});

describe('safetensors checkpoints', () => {
  it('round-trip tensors and metadata, with 8-byte aligned data', () => {
    const c = {
      tensors: new Map([
        ['a.weight', { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }],
        ['n', { shape: [1], data: Int32Array.of(7) }],
      ]),
      metadata: { step: '5' },
    };
    const buf = encodeSafetensors(c);
    expect(Number(buf.readBigUInt64LE(0)) % 8).toBe(0);
    const back = decodeSafetensors('x', buf);
    expect(back.metadata).toEqual({ step: '5' });
    expect(Array.from(back.tensors.get('a.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.tensors.get('n')!.data).toBeInstanceOf(Int32Array);
  });

  it('a truncated or corrupt file is an error naming it', () => {
    const dir = tmp();
    const buf = encodeSafetensors({
      tensors: new Map([['w', { shape: [4], data: new Float32Array(4) }]]),
      metadata: {},
    });
    writeFileSync(join(dir, 'cut.safetensors'), buf.subarray(0, buf.length - 3));
    expect(() => readCheckpoint(join(dir, 'cut.safetensors'))).toThrow(CheckpointError);
    expect(() => readCheckpoint(join(dir, 'cut.safetensors'))).toThrow(/cut.safetensors: tensor "w": data range/);
    writeFileSync(join(dir, 'junk.safetensors'), 'nonsense!');
    expect(() => readCheckpoint(join(dir, 'junk.safetensors'))).toThrow(/junk.safetensors: header length/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

describe('the WebGPU backend', () => {
  it('trains like the reference backend: the same losses step by step, in float32 tolerance', async () => {
    const { webGpuBackend } = await import('../../compiler/drivers/train/webgpu.js');
    const gpu = await webGpuBackend(step, graph, 32, 3);
    try {
      // A small test split keeps this quick: the point is the agreement, not the accuracy.
      const small = {
        ...data,
        test: {
          ...data.test,
          count: 256,
          images: data.test.images.subarray(0, 256 * 784),
          labels: data.test.labels.subarray(0, 256),
        },
      };
      const cfg = (dir: string) =>
        config(dir, { data: small, epochs: 1, limit: 320, schedule: { kind: 'constant', warmup: 0 } });
      const a = await train(gpu, cfg(tmp()));
      const b = await train(backend(), cfg(tmp()));
      expect(a.losses.map((l) => l.step)).toEqual(b.losses.map((l) => l.step));
      a.losses.forEach((l, i) =>
        expect(Math.abs(l.loss - b.losses[i]!.loss)).toBeLessThan(2e-3 * Math.max(1, b.losses[i]!.loss)),
      );
      expect(Math.abs(a.epochs[0]!.testAccuracy - b.epochs[0]!.testAccuracy)).toBeLessThan(0.01);
    } finally {
      gpu.dispose();
    }
  }, 120_000);
});
