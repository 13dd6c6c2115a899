// The inference-dropout noise: Bernoulli keep rates within the binomial interval, the WebGPU
// kernels drawing exactly the reference interpreter's masks (and its Gaussian noise to float32
// rounding), fused into the producing layer's kernel, rate 0 reproducing the base model bit for
// bit, the noise not depending on how rows are grouped into runs, and the pass's diagnostics.
import { afterAll, describe, expect, it } from 'vitest';
import { graphOf } from '../helpers/compile.js';
import { device } from '../kernels/harness.js';
import { run } from '../../compiler/interp/interpreter.js';
import { initParams } from '../../compiler/reference/init.js';
import { intTensor, tensor } from '../../compiler/reference/tensor.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { bindDims } from '../../compiler/analysis/summary.js';
import { inferenceDropout, KEYS_INPUT, RATES_INPUT } from '../../compiler/rashomon/pass.js';
import { Explorer, type ExploreData } from '../../compiler/drivers/rashomon/explorer.js';
import { Executor } from '../../runtime/executor.js';
import type { Graph } from '../../compiler/ir/types.js';
import type { NoiseKind } from '../../compiler/ops/internal/inference_dropout.js';

let used = false;
afterAll(async () => {
  if (used) (await device()).device.destroy();
});

/**
 * A 1×1 convolution and a linear layer with identity weights: the noise is all that changes x.
 * (The 1×1 max pooling, an identity too, reads the noised convolution from a buffer, so that
 * the noise has a kernel epilogue to join: a flatten straight after it would be computed by
 * the linear layer's input kernel instead.)
 */
const IDENTITY = `model ident(x: Tensor[B, 4, 6, 6]) {
  h = maxpool2d(conv2d(x, 4, 1, bias=false) as "c", 1)
  return linear(flatten(h), 144, bias=false) as "fc"
}`;

function identityParams(g: Graph): Map<string, Float32Array> {
  const p = new Map<string, Float32Array>();
  for (const q of g.params) {
    const n = q.shape[0]!;
    const m = q.shape.slice(1).reduce((a, d) => a * d, 1);
    const w = new Float32Array(n * m);
    for (let i = 0; i < n; i++) w[i * m + i] = 1;
    p.set(q.name, w);
  }
  return p;
}

function rowsOf(rows: number, seed: number, rate: number, kind: NoiseKind) {
  const keys = new Int32Array(rows * 3);
  const rates = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    keys.set([seed, 7 + (r % 3), r], 3 * r);
    rates.set([rate, kind === 'bernoulli' ? 1 / (1 - Math.fround(rate)) : 1], 2 * r);
  }
  return { keys, rates };
}

describe('inference dropout: the reference noise', () => {
  it('keeps each element with probability 1 − p (within the binomial interval)', () => {
    const g = graphOf(IDENTITY);
    const { noised } = inferenceDropout(g, 'bernoulli');
    for (const p of [0.05, 0.2, 0.5]) {
      const rows = 50;
      const { keys, rates } = rowsOf(rows, 3, p, 'bernoulli');
      const r = run(noised!.graph, {
        inputs: {
          x: tensor([rows, 4, 6, 6], new Float64Array(rows * 144).fill(1)),
          [KEYS_INPUT]: intTensor([rows, 3], keys),
          [RATES_INPUT]: tensor([rows, 2], rates),
        },
        params: new Map(g.params.map((q) => [q.name, tensor(q.shape, identityParams(g).get(q.name)!)])),
        keepAll: true,
      });
      // The first noise node (after the convolution): x = 1, so kept elements are 1/(1 − p).
      const node = noised!.graph.nodes.find((n) => n.op === 'inference_dropout')!;
      const y = r.values![node.outputs[0]!]!.data;
      const n = y.length;
      let kept = 0;
      for (let i = 0; i < n; i++) if (y[i] !== 0) kept++;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p)), `p = ${p}`).toBeLessThan(4 * sd);
    }
  });
});

describe('inference dropout on WebGPU', () => {
  const rows = 12;
  const g = graphOf(IDENTITY);
  const x = Float32Array.from({ length: rows * 144 }, (_, i) => 1 + (i % 13) / 8);
  const random = new Map([...initParams(g, 1, 'f32')].map(([k, t]) => [k, Float32Array.from(t.data)]));

  for (const kind of ['bernoulli', 'gaussian'] as const)
    it(`draws the reference interpreter's ${kind} noise in the base model's kernels; rate 0 is the base model bit for bit`, async () => {
      used = true;
      const acq = await device();
      const { noised } = inferenceDropout(g, kind);
      const target = targetOf(acq.report);
      const plan = planGraph(noised!.graph, { target, dims: bindDims(noised!.graph, rows) });
      // No kernel of its own: the noise joins the kernels the base model has (the linear layer's
      // epilogue; the pooling kernel that reads the convolution, where an activation would be).
      const basePlan = planGraph(g, { target, dims: bindDims(g, rows) });
      expect(plan.dispatches.map((d) => d.name.replace(/→.*/, ''))).toEqual(basePlan.dispatches.map((d) => d.name));
      expect(plan.dispatches.find((d) => d.nodes.includes('fc'))!.nodes).toContain('fc.rashomon.inference_dropout');
      const params = identityParams(g);
      const ex = await Executor.create(acq.device, plan, { params });
      const { keys, rates } = rowsOf(rows, 0xdeadbeef | 0, kind === 'bernoulli' ? 0.3 : 0.5, kind);
      const gpu = (await ex.run({ inputs: { x, [KEYS_INPUT]: keys, [RATES_INPUT]: rates } })).get(
        'output',
      ) as Float32Array;
      const ref = run(noised!.graph, {
        inputs: {
          x: tensor([rows, 4, 6, 6], x),
          [KEYS_INPUT]: intTensor([rows, 3], keys),
          [RATES_INPUT]: tensor([rows, 2], rates),
        },
        params: new Map(g.params.map((q) => [q.name, tensor(q.shape, params.get(q.name)!, 'f32')])),
        precision: 'f32',
      }).outputs.get('output')!.data;
      let zerosAgree = true;
      let worst = 0;
      for (let i = 0; i < gpu.length; i++) {
        zerosAgree &&= (gpu[i] === 0) === (ref[i] === 0);
        worst = Math.max(worst, Math.abs(gpu[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
      }
      expect(zerosAgree).toBe(true);
      if (kind === 'bernoulli') expect([...gpu]).toEqual([...ref]);
      else expect(worst).toBeLessThan(2e-5);

      // Rate 0 with trained-like weights: the base model's own plan, bit for bit.
      for (const [k, v] of random) ex.setParam(k, v);
      const zero = rowsOf(rows, 3, 0, kind);
      const noisedOut = (await ex.run({ inputs: { x, [KEYS_INPUT]: zero.keys, [RATES_INPUT]: zero.rates } })).get(
        'output',
      ) as Float32Array;
      ex.destroy();
      const baseEx = await Executor.create(acq.device, basePlan, { params: random });
      const base = (await baseEx.run({ inputs: { x } })).get('output') as Float32Array;
      baseEx.destroy();
      expect([...noisedOut]).toEqual([...base]);
    }, 600_000);

  it('runs sampled models through the explorer: rate 0 is the base model, other rates are not', async () => {
    used = true;
    const acq = await device();
    const { noised } = inferenceDropout(g, 'bernoulli');
    const basePlan = planGraph(g, { target: targetOf(acq.report), dims: bindDims(g, rows) });
    const baseEx = await Executor.create(acq.device, basePlan, { params: random });
    const base = (await baseEx.run({ inputs: { x } })).get('output') as Float32Array;
    baseEx.destroy();
    const data: ExploreData = { x, labels: new Int32Array(rows), count: rows, sampleShape: [4, 6, 6], classes: 144 };
    const ex = await Explorer.create({
      noised: noised!,
      kind: 'bernoulli',
      params: random,
      data,
      seed: 5,
      rows,
      backend: 'webgpu',
      device: acq,
    });
    const got: Float32Array[] = [];
    await ex.evaluate(
      [
        { model: 0, rate: 0 },
        { model: 1, rate: 0.1 },
      ],
      (_, __, l) => void got.push(l),
    );
    ex.dispose();
    expect(ex.runs).toBe(2);
    expect([...got[0]!]).toEqual([...base]);
    expect([...got[1]!]).not.toEqual([...base]);
  }, 600_000);
});

describe('the exploration driver', () => {
  it('gives each model the same noise however rows are grouped into runs', async () => {
    const g = graphOf(IDENTITY);
    const { noised } = inferenceDropout(g, 'gaussian');
    const count = 5;
    const data: ExploreData = {
      x: Float32Array.from({ length: count * 144 }, (_, i) => Math.cos(i)),
      labels: new Int32Array(count),
      count,
      sampleShape: [4, 6, 6],
      classes: 144,
    };
    const jobs = [
      { model: 3, rate: 0.2 },
      { model: 4, rate: 0.4 },
      { model: 9, rate: 0.6 },
    ];
    const by = async (rows: number) => {
      const ex = await Explorer.create({
        noised: noised!,
        kind: 'gaussian',
        params: identityParams(g),
        data,
        seed: 1,
        rows,
        backend: 'reference',
      });
      const out: Float32Array[] = [];
      await ex.evaluate(jobs, (_, j, l) => void (out[j] = l));
      return { out, runs: ex.runs };
    };
    const a = await by(4);
    const b = await by(15);
    expect(a.runs).toBe(4);
    expect(b.runs).toBe(1);
    expect(a.out.map((l) => [...l])).toEqual(b.out.map((l) => [...l]));
    expect([...a.out[0]!]).not.toEqual([...a.out[1]!]);
  });

  it('reports a selector that picks no layer, and a layer whose rows are not the batch', () => {
    const g = graphOf(IDENTITY);
    const none = inferenceDropout(g, 'bernoulli', { kind: 'glob', pattern: 'conv*' });
    expect(none.diagnostics.map((d) => d.code)).toEqual(['MDL8501']);
    const t = graphOf(`model t(x: Tensor[B, 6, 8]) {
  return linear(transpose(x, 0, 1), 4) as "fc"
}`);
    expect(inferenceDropout(t, 'bernoulli').diagnostics.map((d) => d.code)).toEqual(['MDL8502']);
    expect(inferenceDropout(g, 'gaussian', { kind: 'op', op: 'linear' }).noised!.layers).toEqual(['fc']);
  });
});
