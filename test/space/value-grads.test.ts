// The `valueGrads` need (compiler/drivers/proxies/measurements/value-grads.ts): the layers'
// outputs and the cross-entropy gradients with respect to them, as a data proxy sees them —
// - on the reference backend, the values are the interpreter's forward values, and per channel
//   the gradients sum to the gradient of the layer's bias (from the weight-gradient graph);
// - on WebGPU they equal the reference within float32 rounding, the logits (a graph output) too;
// - each proxy sees what its own selector chose, and the loss scale multiplies the gradients.
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { run } from '../../compiler/interp/interpreter.js';
import { initParams } from '../../compiler/reference/init.js';
import { intTensor, tensor } from '../../compiler/reference/tensor.js';
import { ReferenceProxyBackend, WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { proxyBatches } from '../../compiler/drivers/proxies/data.js';
import { valueGradsRun } from '../../compiler/drivers/proxies/measurements/value-grads.js';
import type { MeasureInput } from '../../compiler/drivers/proxies/measurements/run.js';
import { layerOutputs } from '../../compiler/space/data-proxies/layers.js';
import type { ProxyBackend } from '../../compiler/space/data-proxies/program.js';
import type { ValueId } from '../../compiler/ir/types.js';
import { graphOf } from '../helpers/compile.js';
import { TINY } from './tiny.js';

const B = 8;
const SEED = 3;
const g = graphOf(TINY);
const data = proxyBatches('mnist', [3, 12, 12], 10, B, 1, 1);
const params = new Map([...initParams(g, SEED, 'f64')].map(([k, t]) => [k, t.data as Float64Array]));
const layers = layerOutputs(g);
const all = () => layers.map((l) => l.value);
const input = (backend: ProxyBackend, lossScale = 1): MeasureInput => ({
  graph: g,
  backend,
  batches: data.batches,
  batch: B,
  params,
  lossScale,
});
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

let gpu: Promise<WebGpuProxyBackend> | undefined;
const webgpu = () => (gpu ??= WebGpuProxyBackend.create());

describe('gradients with respect to layer outputs, as a need', () => {
  it('selects the conv and linear outputs with their weights', () => {
    expect(layers.map((l) => [l.weight, l.weightShape])).toEqual([
      ['c1.weight', [6, 3, 3, 3]],
      ['c2.weight', [6, 6, 3, 3]],
      ['c3.weight', [8, 6, 1, 1]],
      ['fc.weight', [10, 8]],
    ]);
    expect(layers[3]!.value).toBe(g.outputs[0]!.value);
  });

  it('on the reference backend: forward values, and gradients that sum to the bias gradients', async () => {
    const slice = await valueGradsRun.measure(input(new ReferenceProxyBackend()), [{ valueGrads: all }]);
    const got = slice({ valueGrads: all }).valueGrads!;
    expect([...got.keys()]).toEqual(all());
    const x = { x: tensor([B, 3, 12, 12], data.batches[0]!.x), labels: intTensor([B], data.batches[0]!.y) };
    const p = initParams(g, SEED, 'f64');
    const fwd = run(g, { inputs: { x: x.x }, params: p, training: true, keepAll: true });
    const wg = buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true });
    const grads = run(wg.graph, { inputs: x, params: p, training: true }).outputs;
    for (const l of layers) {
      const m = got.get(l.value)!;
      expect(Array.from(m.value)).toEqual(Array.from(fwd.values![l.value]!.data));
      expect(m.shape).toEqual(fwd.values![l.value]!.shape);
      expect(m.shape[0]).toBe(B);
      const bias = grads.get(`grad:${l.weight.replace('weight', 'bias')}`)?.data;
      if (!bias) continue; // c1 has no bias
      const [c, per] = [m.shape[1]!, m.grad.length / B / m.shape[1]!];
      const sums = new Float64Array(c);
      for (let i = 0; i < m.grad.length; i++) sums[Math.floor(i / per) % c]! += m.grad[i]!;
      const scale = maxAbs(bias);
      sums.forEach((s, k) => expect(Math.abs(s - bias[k]!)).toBeLessThan(1e-12 * scale));
    }
  });

  it('on WebGPU equals the reference within float32 rounding; each proxy sees its own selection', async () => {
    const convs = (gr: typeof g): readonly ValueId[] =>
      layerOutputs(gr)
        .slice(0, 3)
        .map((l) => l.value);
    const asked = [{ valueGrads: all }, { valueGrads: convs }];
    const ref = (await valueGradsRun.measure(input(new ReferenceProxyBackend()), asked))({
      valueGrads: all,
    }).valueGrads!;
    const slice = await valueGradsRun.measure(input(await webgpu()), asked);
    const got = slice({ valueGrads: all }).valueGrads!;
    expect([...slice({ valueGrads: convs }).valueGrads!.keys()]).toEqual(convs(g));
    expect(slice({ inputGrads: true }).valueGrads).toBeUndefined();
    for (const [v, want] of ref) {
      const m = got.get(v)!;
      for (const k of ['value', 'grad'] as const) {
        const scale = maxAbs(want[k]);
        expect(scale).toBeGreaterThan(0);
        for (let i = 0; i < want[k].length; i++) expect(Math.abs(m[k][i]! - want[k][i]!)).toBeLessThan(1e-4 * scale);
      }
    }
  });

  it('scales the gradients, not the values, with the loss', async () => {
    const backend = new ReferenceProxyBackend();
    const one = (await valueGradsRun.measure(input(backend), [{ valueGrads: all }]))({ valueGrads: all }).valueGrads!;
    const ten = (await valueGradsRun.measure(input(backend, 10), [{ valueGrads: all }]))({
      valueGrads: all,
    }).valueGrads!;
    for (const [v, m] of one) {
      expect(ten.get(v)!.value).toEqual(m.value);
      Array.from(m.grad).forEach((x, i) => expect(ten.get(v)!.grad[i]).toBe(10 * x));
    }
  });
});
