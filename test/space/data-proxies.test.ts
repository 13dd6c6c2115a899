// The data-dependent proxies (compiler/drivers/proxies/measure.ts) on WebGPU against oracles:
// - ZiCo from WebGPU gradients equals ZiCo computed here, independently, from the reference
//   interpreter's float64 gradients (two real batches, training-mode batchnorm, CE loss mean);
// - ZiCo's N = 2 closed form, its invariance to scaling the loss, and skipped layers;
// - every proxy of a tiny CNN (residual, batchnorm, pooling, bias) on WebGPU equals the float64
//   reference backend;
// - SynFlow on a deep residual network where a naive float32 run overflows: the rescaled
//   WebGPU run equals float64 within 1e-2 relative (it is much closer).
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { intTensor, tensor } from '../../compiler/reference/tensor.js';
import type { Graph } from '../../compiler/ir/types.js';
import { zico } from '../../compiler/space/data-proxies/formulas.js';
import { layerWeights } from '../../compiler/space/data-proxies/layers.js';
import { ReferenceProxyBackend, WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { proxyBatches } from '../../compiler/drivers/proxies/data.js';
import { measure, synflowOf } from '../../compiler/drivers/proxies/measure.js';
import { graphOf } from '../helpers/compile.js';
import { TINY } from './tiny.js';

const B = 8;
const SEED = 3;
const ALL = ['zico', 'synflow', 'naswot', 'grad_norm', 'snip', 'jacob_cov'];
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

let gpu: Promise<WebGpuProxyBackend> | undefined;
const webgpu = () => (gpu ??= WebGpuProxyBackend.create());

/** Per-batch CE gradients of the conv/linear weights, straight from the interpreter in float64. */
function referenceGrads(g: Graph, batches: readonly { x: Float32Array; y: Int32Array }[]): Map<string, Float64Array>[] {
  const gg = buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true });
  const params = initParams(g, SEED, 'f64');
  return batches.map((b) => {
    const r = run(gg.graph, {
      inputs: { x: tensor([B, 3, 12, 12], b.x), labels: intTensor([B], b.y) },
      params,
      training: true,
    });
    return new Map(layerWeights(g).map((w) => [w, r.outputs.get(`grad:${w}`)!.data as Float64Array]));
  });
}

/** ZiCo written out again, per element from the two-batch closed form (|g1| + |g2|) / |g1 − g2|. */
function zicoClosedForm(per: readonly Map<string, Float64Array>[]): number {
  let total = 0;
  for (const [w, g1] of per[0]!) {
    const g2 = per[1]!.get(w)!;
    let s = 0;
    g1.forEach((a, i) => {
      if (a !== g2[i]) s += (Math.abs(a) + Math.abs(g2[i]!)) / Math.abs(a - g2[i]!);
    });
    if (s > 0) total += Math.log(s);
  }
  return total;
}

describe('ZiCo', () => {
  const g = graphOf(TINY);
  const data = proxyBatches('mnist', [3, 12, 12], 10, B, 0, 2);

  it('the formula: N = 2 closed form, scale invariance, layers with identical gradients skipped', () => {
    const per = referenceGrads(g, data.batches);
    const z = zico(per);
    expect(z).toBeGreaterThan(0);
    expect(rel(z, zicoClosedForm(per))).toBeLessThan(1e-12);
    // Every gradient ×10 (the loss ×10): μ and σ scale alike.
    const scaled = per.map((m) => new Map([...m].map(([k, v]) => [k, v.map((x) => 10 * x)])));
    expect(rel(zico(scaled), z)).toBeLessThan(1e-12);
    // A layer whose two gradients are equal has σ = 0 everywhere: it contributes nothing.
    const same = per.map((m) => new Map([...m].map(([n, v]) => [n, n === 'c2.weight' ? per[0]!.get(n)! : v])));
    const without = zicoClosedForm(per.map((m) => new Map([...m].filter(([n]) => n !== 'c2.weight'))));
    expect(rel(zico(same), without)).toBeLessThan(1e-12);
    expect(same[1]!.get('c2.weight')).toBe(per[0]!.get('c2.weight'));
  });

  it("on WebGPU equals the float64 computation from the interpreter's gradients (relative 1e-4)", async () => {
    const want = zicoClosedForm(referenceGrads(g, data.batches));
    const got = await measure(g, {
      backend: await webgpu(),
      batches: data.batches,
      batch: B,
      seed: SEED,
      proxies: ['zico'],
    });
    expect(rel(got['zico']!, want)).toBeLessThan(1e-4);
  });

  it('is unchanged when the loss (every gradient) is scaled, through the backend', async () => {
    const backend = new ReferenceProxyBackend();
    const a = await measure(g, { backend, batches: data.batches, batch: B, seed: SEED, proxies: ['zico'] });
    const b = await measure(g, {
      backend,
      batches: data.batches,
      batch: B,
      seed: SEED,
      proxies: ['zico'],
      lossScale: 1000,
    });
    expect(rel(b['zico']!, a['zico']!)).toBeLessThan(1e-12);
  });
});

describe('every data proxy of a tiny CNN', () => {
  it('WebGPU (float32) equals the float64 reference backend', async () => {
    const g = graphOf(TINY);
    const data = proxyBatches('mnist', [3, 12, 12], 10, B, 1, 2);
    const ref = await measure(g, {
      backend: new ReferenceProxyBackend(),
      batches: data.batches,
      batch: B,
      seed: SEED,
      proxies: ALL,
    });
    const got = await measure(g, {
      backend: await webgpu(),
      batches: data.batches,
      batch: B,
      seed: SEED,
      proxies: ALL,
    });
    for (const p of ALL) {
      expect(Number.isFinite(ref[p]), p).toBe(true);
      // NASWOT counts sign agreements: equal unless a ReLU input sits within float32 rounding of 0.
      expect(rel(got[p]!, ref[p]!), `${p}: ${got[p]} vs ${ref[p]}`).toBeLessThan(1e-4);
    }
    // The proxies see different things: no two are the same number.
    expect(new Set(ALL.map((p) => ref[p])).size).toBe(ALL.length);
  });
});

describe('SynFlow in float32', () => {
  // 80 residual conv blocks: with |w| each block multiplies activations by about 5, so the
  // first layers' gradients and the score (≈ 2e53 at seed 3) lie far beyond float32's 3.4e38.
  const DEEP = `
model deep(x: Tensor[B, 3, 4, 4]) {
  h = conv2d(x, 8, 3, padding=1) as "stem"
  for i in range(80) {
    h = h + relu(batchnorm2d(conv2d(h, 8, 3, padding=1, bias=false)))
  }
  return linear(flatten(global_avgpool(h)), 10) as "fc"
}`;
  it('overflows when run naively, and the rescaled WebGPU run equals float64 (1e-2 asked, 1e-4 held; 2e-7 measured)', async () => {
    const g = graphOf(DEEP);
    const params = new Map([...initParams(g, SEED, 'f64')].map(([k, t]) => [k, t.data as Float64Array]));
    const f64 = await synflowOf(g, new ReferenceProxyBackend(), params);
    const naive = await synflowOf(g, new ReferenceProxyBackend('f32'), params);
    expect(Number.isFinite(f64.score)).toBe(true);
    expect(f64.score).toBeGreaterThan(1e39);
    expect(Number.isFinite(naive.score)).toBe(false);
    const got = await synflowOf(g, await webgpu(), params);
    expect(got.log2Input).toBeGreaterThan(20);
    expect(rel(got.score, f64.score)).toBeLessThan(1e-4);
  });
});

describe('proxy batches', () => {
  it('are deterministic given (seed, batch), padded and repeated to the input shape', () => {
    const a = proxyBatches('mnist', [3, 32, 32], 10, 4, 7, 2);
    const b = proxyBatches('mnist', [3, 32, 32], 10, 4, 7, 2);
    const c = proxyBatches('mnist', [3, 32, 32], 10, 4, 8, 2);
    expect(a.description).toBe('digits 1×28×28 → 3×32×32 (pad 2, gray ×3)');
    expect(a.batches[1]!.x).toEqual(b.batches[1]!.x);
    expect(a.batches[0]!.y).toEqual(b.batches[0]!.y);
    expect(a.batches[0]!.x).not.toEqual(c.batches[0]!.x);
    const x = a.batches[0]!.x;
    const plane = 32 * 32;
    // The three channels are the same gray image; the 2-pixel border is the background.
    for (let i = 0; i < plane; i++) expect(x[plane + i]).toBe(x[i]);
    expect(new Set(Array.from(x.subarray(0, 64))).size).toBe(1);
  });
});
