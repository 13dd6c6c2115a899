// Online-LoRA's consolidation on the device equals the host version: the importance plan sums
// the squared per-sample gradients into its `<p>@G` buffers as the host sums read-back gradients
// (importance.ts), and the merge plan computes W + s·B·A and the running average of Ω as
// consolidate.ts and importance.ts do. GPU copies between plans carry tensors unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importanceBuffer } from '../../compiler/autodiff/optimizer.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { bindDims } from '../../compiler/analysis/summary.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { applyRewrites, resolveRules } from '../../compiler/rewrites/index.js';
import { addLowRank } from '../../compiler/drivers/continual/consolidate.js';
import { addSquares, runningImportance } from '../../compiler/drivers/continual/importance.js';
import { gradSquares, importanceGraph, INV_N, mergeGraph } from '../../compiler/drivers/continual/device-graphs.js';
import { acquireDevice } from '../../runtime/device.js';
import type { Acquired } from '../../runtime/adapter.js';
import { Executor } from '../../runtime/executor.js';
import { graphOf } from '../helpers/compile.js';
import { random, rule } from '../rewrites/util.js';

const mlp = graphOf(
  `model m(x: Tensor[B, 16]) {\n  h = gelu(linear(x, 12) as "fc1")\n  h = linear(h, 12) as "fc2"\n  return linear(h, 5) as "head"\n}\n`,
);
const { plan: rules } = resolveRules(mlp, [rule('fc*', { kind: 'lora', rank: 2, alpha: 4 })]);
const rw = applyRewrites(mlp, rules);
const adapterParams = rw.adapters.flatMap((a) => [a.a, a.b]);
const shapes = new Map(rw.graph.params.map((p) => [p.name, { shape: p.shape }]));
const values = (name: string, shape: readonly number[], positive = false) => {
  const d = Float32Array.from(random(shape, 2, name).data);
  return positive ? d.map(Math.abs) : d;
};
const maxDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1e-3 + Math.abs(b[i]!)));
  return m;
};

let acq: Acquired;
beforeAll(async () => {
  acq = await acquireDevice();
});
afterAll(() => acq?.device.destroy());

describe('online-lora consolidation on the device', () => {
  it('merges W += s·B·A and averages Ω over plateaus as the host does', async () => {
    const { graph, copies } = mergeGraph(rw.adapters, shapes, true);
    const plan = planGraph(graph, { target: targetOf(acq.report), dims: {}, training: false });
    const given = new Map<string, Float32Array>();
    for (const p of plan.params) {
      const name = p.param.name;
      given.set(name, values(name, p.param.shape, name.endsWith('@importance') || name.endsWith('@G')));
    }
    const ex = await Executor.create(acq.device, plan, { params: given, label: 'merge' });
    try {
      await ex.run({ inputs: { [INV_N]: Float32Array.of(1 / 3) }, read: [] });
      ex.copyParamsTo(ex, [...copies]);
      const names = [...rw.adapters.map((a) => a.weight), ...adapterParams.map(importanceBuffer)];
      const got = await ex.readParams(names);
      for (const ad of rw.adapters) {
        const want = addLowRank(given.get(ad.weight)!, given.get(ad.a)!, given.get(ad.b)!, ad.rank, ad.scale);
        expect(ad.scale).toBe(2);
        expect(maxDiff(got.get(ad.weight)!, want)).toBeLessThan(1e-5);
        // and it did change the weight
        expect(maxDiff(got.get(ad.weight)!, given.get(ad.weight)!)).toBeGreaterThan(1e-3);
      }
      const old = new Map(adapterParams.map((p) => [p, given.get(importanceBuffer(p))!]));
      const G = new Map(adapterParams.map((p) => [p, given.get(gradSquares(p))!]));
      const want = runningImportance(old, G, 3);
      for (const p of adapterParams) expect(maxDiff(got.get(importanceBuffer(p))!, want.get(p)!)).toBeLessThan(1e-6);
    } finally {
      ex.destroy();
    }
  });

  it('sums the squared per-sample gradients of the adapters as the host does', async () => {
    const gg = buildGradient(rw.graph, {
      loss: { kind: 'cross_entropy' },
      frozen: rw.graph.params.map((p) => p.name).filter((n) => !adapterParams.includes(n)),
      rules: rw.rules,
    });
    const ig = importanceGraph(gg, adapterParams);
    const plan = planGraph(ig.graph, {
      target: targetOf(acq.report),
      dims: bindDims(ig.graph, 1),
      training: gg.training,
    });
    const given = new Map<string, Float32Array>();
    for (const p of rw.graph.params) given.set(p.name, values(p.name, p.shape));
    const ex = await Executor.create(acq.device, plan, { params: given, label: 'importance' });
    // the model's weights arrive by a GPU copy from another plan holding them
    const src = await Executor.create(acq.device, plan, { params: given, seed: 9, label: 'source' });
    try {
      for (const p of adapterParams) ex.setParam(p, new Float32Array(given.get(p)!.length));
      src.copyParamsTo(
        ex,
        adapterParams.map((p) => [p, p]),
      );
      const host = new Map<string, Float32Array>();
      for (let i = 0; i < 3; i++) {
        const out = await ex.run({
          inputs: { x: Float32Array.from(random([1, 16], 20 + i, 'x').data), labels: Int32Array.of(i) },
          read: adapterParams.map((p) => `grad:${p}`),
        });
        addSquares(host, new Map(adapterParams.map((p) => [p, out.get(`grad:${p}`) as Float32Array])));
        ex.copyParamsTo(ex, [...ig.copies]);
      }
      const got = await ex.readParams(adapterParams.map(gradSquares));
      for (const p of adapterParams) {
        expect(host.get(p)!.some((v) => v > 0)).toBe(true);
        expect(maxDiff(got.get(gradSquares(p))!, host.get(p)!)).toBeLessThan(1e-5);
      }
    } finally {
      ex.destroy();
      src.destroy();
    }
  });
});
