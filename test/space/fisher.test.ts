// The Fisher proxy (zero-cost-nas `fisher`) against oracles written here from its definition:
// - one linear layer, by hand: a = Wx + b, ∂L/∂a = (softmax(a) − onehot)/N, so g_nk = a_nk·∂L/∂a_nk;
// - a small CNN (residual, batchnorm, pooling, bias), where g_nk is the gradient of the loss
//   with respect to a gate s_nk multiplying channel k of sample n of the layer's output
//   (d/ds of L(s·a) at s = 1 is Σ over positions of a·∂L/∂a): the same network with gate inputs,
//   differentiated with respect to its inputs by the interpreter, with no gradient of an
//   internal value involved;
// - each layer weighs its channels by its weights per channel, prod(weight.shape[1:]), as the
//   official code's broadcast before summing does;
// - WebGPU (float32) equals the float64 reference backend; scaling the loss by s scales Fisher by s².
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { run } from '../../compiler/interp/interpreter.js';
import { initParams } from '../../compiler/reference/init.js';
import { intTensor, tensor } from '../../compiler/reference/tensor.js';
import { ReferenceProxyBackend, WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { proxyBatches } from '../../compiler/drivers/proxies/data.js';
import { measure } from '../../compiler/drivers/proxies/measure.js';
import { graphOf } from '../helpers/compile.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
const SEED = 3;

/** The net, with each conv/linear output multiplied by a gate input when `gated`. */
const tiny = (gated: boolean) => {
  const gate = (v: string, s: string) => (gated ? `${v} * ${s}` : v);
  return `
model tiny(x: Tensor[B, 3, 12, 12]${gated ? ', s1: Tensor[B, 6, 1, 1], s2: Tensor[B, 6, 1, 1], s3: Tensor[B, 8, 1, 1], s4: Tensor[B, 10]' : ''}) {
  a1 = conv2d(x, 6, 3, padding=1, bias=false) as "c1"
  h = relu(batchnorm2d(${gate('a1', 's1')}) as "bn1")
  r = h
  a2 = conv2d(h, 6, 3, padding=1) as "c2"
  h = relu(batchnorm2d(${gate('a2', 's2')}) as "bn2" + r)
  h = avgpool2d(h, 2) as "p"
  a3 = conv2d(h, 8, 1) as "c3"
  h = flatten(global_avgpool(${gate('a3', 's3')}))
  a4 = linear(h, 10) as "fc"
  return ${gate('a4', 's4')}
}`;
};
const B = 8;
/** Per layer: gate name, channels, weights per channel (prod(weight.shape[1:])). */
const LAYERS = [
  ['s1', 6, 3 * 3 * 3],
  ['s2', 6, 6 * 3 * 3],
  ['s3', 8, 6],
  ['s4', 10, 8],
] as const;

/** Σ over layers of fan · Σ_k 0.5·mean_n g_nk², from g_nk [N, C] per layer. */
function fromGates(gates: readonly { g: ArrayLike<number>; c: number; fan: number }[], n: number): number {
  let total = 0;
  for (const { g, c, fan } of gates)
    for (let k = 0; k < c; k++) {
      let sq = 0;
      for (let s = 0; s < n; s++) sq += g[s * c + k]! ** 2;
      total += (fan * 0.5 * sq) / n;
    }
  return total;
}

describe('Fisher', () => {
  it('of one linear layer equals the hand computation', async () => {
    const g = graphOf(`model lin(x: Tensor[B, 1, 2, 3]) { return linear(flatten(x), 4) as "fc" }`);
    const n = 5;
    const x = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(1.7 * i));
    const y = Int32Array.from([0, 3, 1, 1, 2]);
    const got = await measure(g, {
      backend: new ReferenceProxyBackend(),
      batches: [{ x, y }],
      batch: n,
      seed: SEED,
      proxies: ['fisher'],
    });
    const p = initParams(g, SEED, 'f64');
    const [w, b] = [p.get('fc.weight')!.data, p.get('fc.bias')!.data];
    const gnk: number[] = [];
    for (let s = 0; s < n; s++) {
      const a = [0, 1, 2, 3].map(
        (k) => b[k]! + [0, 1, 2, 3, 4, 5].reduce((t, j) => t + w[k * 6 + j]! * x[s * 6 + j]!, 0),
      );
      const e = a.map((v) => Math.exp(v));
      const z = e.reduce((t, v) => t + v, 0);
      a.forEach((v, k) => gnk.push((v * (e[k]! / z - (k === y[s] ? 1 : 0))) / n));
    }
    const want = fromGates([{ g: gnk, c: 4, fan: 6 }], n);
    expect(want).toBeGreaterThan(0);
    expect(rel(got['fisher']!, want)).toBeLessThan(1e-12);
  });

  const g = graphOf(tiny(false));
  const data = proxyBatches('mnist', [3, 12, 12], 10, B, 1, 1);
  const opts = { batches: data.batches, batch: B, seed: SEED, proxies: ['fisher'] };

  it('of a CNN equals the loss gradients of per-sample channel gates, on the reference backend', async () => {
    const gated = graphOf(tiny(true));
    const gg = buildGradient(gated, {
      loss: { kind: 'cross_entropy' },
      params: false,
      wrtInputs: LAYERS.map(([s]) => s),
      training: true,
    });
    const ones = (shape: number[]) => tensor(shape, new Float64Array(shape.reduce((p, d) => p * d, 1)).fill(1));
    const b = data.batches[0]!;
    const r = run(gg.graph, {
      inputs: {
        x: tensor([B, 3, 12, 12], b.x),
        labels: intTensor([B], b.y),
        s1: ones([B, 6, 1, 1]),
        s2: ones([B, 6, 1, 1]),
        s3: ones([B, 8, 1, 1]),
        s4: ones([B, 10]),
      },
      params: initParams(gated, SEED, 'f64'),
      training: true,
    });
    const want = fromGates(
      LAYERS.map(([s, c, fan]) => ({ g: r.outputs.get(`grad:input:${s}`)!.data, c, fan })),
      B,
    );
    const got = await measure(g, { ...opts, backend: new ReferenceProxyBackend() });
    expect(want).toBeGreaterThan(0);
    expect(rel(got['fisher']!, want)).toBeLessThan(1e-10);
    // Each layer contributes: leaving any one out changes the sum by more than rounding.
    for (const [s] of LAYERS) {
      const without = fromGates(
        LAYERS.filter(([t]) => t !== s).map(([t, c, fan]) => ({ g: r.outputs.get(`grad:input:${t}`)!.data, c, fan })),
        B,
      );
      expect(rel(without, want)).toBeGreaterThan(1e-6);
    }
  });

  it('on WebGPU (float32) equals the float64 reference backend', async () => {
    const ref = await measure(g, { ...opts, backend: new ReferenceProxyBackend() });
    const got = await measure(g, { ...opts, backend: await WebGpuProxyBackend.create() });
    expect(rel(got['fisher']!, ref['fisher']!), `${got['fisher']} vs ${ref['fisher']}`).toBeLessThan(1e-4);
  });

  it('scales with the square of the loss', async () => {
    const backend = new ReferenceProxyBackend();
    const one = await measure(g, { ...opts, backend });
    const ten = await measure(g, { ...opts, backend, lossScale: 10 });
    expect(rel(ten['fisher']!, 100 * one['fisher']!)).toBeLessThan(1e-12);
  });
});
