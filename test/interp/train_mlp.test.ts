// Training on real data with the reference interpreter: examples/mlp.mdl (784 → 256 → 10, as written) on
// 3,000 MNIST digits of the `mnist` package (300 per class; 1,000 others held out), 300 steps of
// SGD with momentum at batch 32 in float32. The whole step — forward, cross-entropy, backward and
// the sgd_update ops — is one IR graph (buildTrainStep); the loop only feeds batches.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyStep, buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { Stream } from '../../runtime/random/philox.js';
import { intTensor, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { compileFile } from '../helpers/compile.js';

const PIXELS = 784;

function loadDigits(): { train: { x: Float64Array; y: number[] }; test: { x: Float64Array; y: number[] } } {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
  const take = (lo: number, hi: number) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let d = 0; d < 10; d++) {
      const data = (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data;
      for (let i = lo; i < hi; i++) {
        for (let k = 0; k < PIXELS; k++) xs.push(data[i * PIXELS + k]!);
        ys.push(d);
      }
    }
    return { x: Float64Array.from(xs), y: ys };
  };
  return { train: take(0, 300), test: take(300, 400) };
}

describe('reference-interpreter training of mlp.mdl on MNIST digits', () => {
  const { train, test } = loadDigits();
  const graph = compileFile('examples/mlp.mdl').graph!;
  const step = buildTrainStep(graph, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
  const evalGraph = graph;
  const B = 32;
  const n = train.y.length;

  /** Trains for `steps` steps from seed `seed`; returns the losses and the final parameters. */
  function trainFor(steps: number, seed: number): { losses: number[]; params: Map<string, Tensor> } {
    let params = initParams(step.graph, seed, 'f32');
    const s = new Stream(seed, 'shuffle');
    let order: number[] = [];
    const losses: number[] = [];
    for (let t = 0; t < steps; t++) {
      if (order.length < B) order = [...Array(n).keys()].sort((a, b) => s.uniform(t * n + a) - s.uniform(t * n + b));
      const idx = order.splice(0, B);
      const x = tensor(
        [B, 1, 28, 28],
        idx.flatMap((i) => Array.from(train.x.subarray(i * PIXELS, (i + 1) * PIXELS))),
        'f32',
      );
      const labels = intTensor(
        [B],
        idx.map((i) => train.y[i]!),
      );
      const r = run(step.graph, {
        inputs: { x, labels, lr: tensor([], [0.05], 'f32') },
        params,
        precision: 'f32',
        training: true,
        seed,
        step: t,
      });
      losses.push(r.outputs.get('loss')!.data[0]!);
      params = applyStep(step, params, r.outputs, r.buffers);
    }
    return { losses, params };
  }

  function accuracy(params: Map<string, Tensor>): number {
    const m = test.y.length;
    const x = tensor([m, 1, 28, 28], test.x, 'f32');
    const logits = run(evalGraph, { inputs: { x }, params, precision: 'f32' }).outputs.get('output')!;
    let right = 0;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits.data[i * 10 + c]! > logits.data[i * 10 + best]!) best = c;
      if (best === test.y[i]) right++;
    }
    return right / m;
  }

  it('300 SGD steps lower the loss and reach > 85% held-out accuracy', () => {
    const { losses, params } = trainFor(300, 1);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-20));
    const acc = accuracy(params);
    console.log(
      `mlp on MNIST: loss ${first.toFixed(3)} (first 10 steps) → ${last.toFixed(3)} (last 20), held-out accuracy ${(100 * acc).toFixed(1)}%`,
    );
    expect(first).toBeGreaterThan(2.0); // ≈ ln 10 at initialisation
    expect(last).toBeLessThan(0.5);
    expect(acc).toBeGreaterThan(0.85);
  });

  it('is reproducible for a seed, and another seed trains differently', () => {
    const a = trainFor(20, 7);
    const b = trainFor(20, 7);
    const c = trainFor(20, 8);
    expect(b.losses).toEqual(a.losses);
    for (const [k, t] of a.params) expect(Array.from(b.params.get(k)!.data), k).toEqual(Array.from(t.data));
    expect(c.losses).not.toEqual(a.losses);
  });
});
