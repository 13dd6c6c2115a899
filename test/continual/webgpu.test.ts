// The continual driver end to end on the WebGPU runtime, with a tiny model on a synthetic
// split stream: plateaus are found, each consolidates on the device without changing the
// predictions (clean merge), importance is computed, checkpoints, metrics and the plot are
// written, and the optimizer trains only the adapters and the head.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runContinual } from '../../compiler/drivers/continual/run.js';
import { resolveRules } from '../../compiler/rewrites/index.js';
import { makeDataset } from '../../runtime/data/dataset.js';
import { Stream } from '../../runtime/random/philox.js';
import { graphOf } from '../helpers/compile.js';
import { rule } from '../rewrites/util.js';

const g = graphOf(
  `model m(x: Tensor[B, 1, 4, 4]) {\n  h = gelu(linear(reshape(x, [B, 16]), 12) as "fc1")\n  return linear(h, 4) as "head"\n}\n`,
);

/** Four classes, each a fixed random pattern plus noise. */
function synthetic(per: number, seed: number) {
  const n = per * 4;
  const s = new Stream(seed, 'data');
  const proto = new Stream(1, 'proto');
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const images = Float32Array.from({ length: n * 16 }, (_, i) => {
    const k = Math.floor(i / 16);
    return 0.5 + 0.4 * proto.normal(labels[k]! * 16 + (i % 16)) + 0.1 * s.normal(i);
  });
  return makeDataset('synthetic', [1, 4, 4], 4, images, labels);
}

const out = mkdtempSync(join(tmpdir(), 'mdl-continual-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('continual training on WebGPU', () => {
  it('runs Online-LoRA on a stream: plateaus, clean consolidation, checkpoints, metrics, plot', async () => {
    const { plan } = resolveRules(g, [rule('fc1', { kind: 'lora', rank: 2, alpha: 2 })]);
    const r = await runContinual({
      graph: g,
      plan,
      frozen: [],
      optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      method: {
        kind: 'online_lora',
        mask: 'batch',
        lambda: 100,
        window: 3,
        meanThreshold: 10,
        varThreshold: 10,
        hardBuffer: 2,
        merge: 'clean',
      },
      batch: 4,
      seed: 0,
      lr: 1e-2,
      spec: {
        method: { kind: 'online', mask: 'batch', window: 3, meanThreshold: 10, varThreshold: 10 },
        stream: { kind: 'split', tasks: 2, trainPerClass: 12, testPerClass: 5 },
        evalEvery: 8,
      },
      data: { train: synthetic(20, 2), test: synthetic(6, 3), source: 'synthetic' },
      outDir: out,
      source: { path: 'test.mdl', hash: 'x' },
    });
    expect(r.steps).toBe(12);
    expect(r.plateaus.length).toBeGreaterThanOrEqual(1);
    // adapters of fc1 (2×16 + 12×2) and the head (12×4 + 4); fc1's weight and bias frozen
    expect(r.trainable).toBe(2 * 16 + 12 * 2 + 12 * 4 + 4);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const plateaus = rows.filter((x) => x['kind'] === 'plateau');
    expect(plateaus).toHaveLength(r.plateaus.length);
    for (const p of plateaus) {
      expect(p['max_logit_change'] as number).toBeLessThan(1e-4);
      expect(p['importance_sum'] as number).toBeGreaterThan(0);
    }
    expect(existsSync(join(out, 'plateau-1.safetensors'))).toBe(true);
    const evals = rows.filter((x) => x['kind'] === 'eval');
    expect(evals.length).toBe(r.evals.length);
    expect((evals.at(-1)!['classes'] as number[]).length).toBe(4);
    expect(readFileSync(join(out, 'accuracy.svg'), 'utf8')).toContain('<polyline');
    expect(r.metrics.aLast).toBeGreaterThanOrEqual(0);
  }, 600_000);
});
