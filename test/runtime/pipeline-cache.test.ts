// The device's pipeline cache (runtime/pipeline-cache.ts): a plan run again, or a related plan,
// takes every kernel it shares from the cache, and what it computes is bit for bit what it
// computes with pipelines of its own; the proxies measured through it (SynFlow, ZiCo) are the
// same numbers with and without it. The stage clock (runtime/stages.ts) sees the hits.
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { proxyBatches } from '../../compiler/drivers/proxies/data.js';
import { measureProfiled } from '../../compiler/drivers/proxies/profile.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { Executor } from '../../runtime/executor.js';
import { pipelineCache } from '../../runtime/pipeline-cache.js';
import { StageClock } from '../../runtime/stages.js';
import { graphOf } from '../helpers/compile.js';
import { device, rng } from '../kernels/harness.js';
import { TINY } from '../space/tiny.js';

const NET = `model net(x: Tensor[B, 8]) {
  h = relu(linear(x, 16))
  h = relu(linear(h, 16))
  return linear(h, 4)
}`;

describe('pipeline cache', () => {
  it('a plan built again takes every kernel from the cache and computes the same bits', async () => {
    const acq = await device();
    const plan = () => planGraph(graphOf(NET), { target: targetOf(acq.report), dims: { B: 5 } });
    const r = rng(7);
    const x = Float32Array.from({ length: 40 }, () => r() * 2 - 1);
    const cache = pipelineCache(acq.device);
    const runOnce = async (opts: { cache: boolean; clock: StageClock }) => {
      const ex = await Executor.create(acq.device, plan(), { seed: 1, warmUp: false, ...opts });
      const out = (await ex.run({ inputs: { x } })).values().next().value as Float32Array;
      ex.destroy();
      return out;
    };
    const own = await runOnce({ cache: false, clock: new StageClock() });
    const first = new StageClock();
    const a = await runOnce({ cache: true, clock: first });
    const hits = cache.stats.hits;
    const second = new StageClock();
    const b = await runOnce({ cache: true, clock: second });
    expect(first.pipelinesAsked).toBeGreaterThan(0);
    expect(second.pipelinesCached).toBe(second.pipelinesAsked);
    expect(cache.stats.hits - hits).toBe(second.pipelinesAsked);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(a)).toEqual(Array.from(own));
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it('a kernel that does not compile is reported and not kept', async () => {
    const acq = await device();
    const cache = pipelineCache(acq.device);
    const bad = '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_name; }';
    acq.device.pushErrorScope('validation');
    await expect(cache.get(bad, 'bad')).rejects.toThrow(/kernel bad failed to compile/);
    await acq.device.popErrorScope();
    expect(cache.has(bad)).toBe(false);
  });
});

describe('proxies through the cache', () => {
  const backends: WebGpuProxyBackend[] = [];
  afterAll(() => backends.forEach((b) => b.dispose()));

  it('SynFlow and ZiCo are the same numbers with and without the cache; a repeat hits it for every kernel', async () => {
    const g = graphOf(TINY);
    const data = proxyBatches('mnist', [3, 12, 12], 10, 4, 0, 2);
    const opts = { batches: data.batches, batch: 4, seed: 3, proxies: ['synflow', 'zico'] };
    const cached = await WebGpuProxyBackend.create({ cache: true });
    const plain = await WebGpuProxyBackend.create({ cache: false });
    backends.push(cached, plain);
    const a = await measureProfiled(g, { ...opts, backend: cached });
    const b = await measureProfiled(g, { ...opts, backend: cached });
    const c = await measureProfiled(g, { ...opts, backend: plain });
    expect(Number.isFinite(a.values['synflow']) && Number.isFinite(a.values['zico'])).toBe(true);
    expect(b.values).toEqual(a.values);
    expect(c.values).toEqual(a.values);
    expect(b.clock.pipelinesAsked).toBeGreaterThan(0);
    expect(b.clock.pipelinesCached).toBe(b.clock.pipelinesAsked);
    expect(c.clock.pipelinesAsked).toBe(0);
    // Every stage is accounted for: the stages add up to the candidate's wall time.
    expect(a.clock.totalMs).toBeCloseTo(a.wallMs, 0);
  });
});

describe('kernels shared between candidates', () => {
  // Two NAS-Bench-201 cells that differ in four of six edges: the stem, edge 0 (a 3×3 conv in
  // both), the classifier and their gradients are the same ops at the same shapes.
  const cell = (ops: readonly number[]) => `import "std/nas"
model m(x: Tensor[B, 3, 8, 8]) {
  h = conv2d(x, 4, 3, padding=1, bias=false) as "stem"
  h = nb201_cell(h, [${ops.map((o) => `NB201_OPS[${o}]`).join(', ')}]) as "cell"
  return linear(flatten(global_avgpool(h)), 10) as "fc"
}`;
  const backends: WebGpuProxyBackend[] = [];
  afterAll(() => backends.forEach((b) => b.dispose()));

  it('a candidate takes the kernels it shares with an earlier one from the cache, and SynFlow is the same bits', async () => {
    const [a, b] = [cell([3, 1, 2, 4, 0, 3]), cell([3, 4, 3, 1, 2, 0])].map((t) => graphOf(t));
    const cached = await WebGpuProxyBackend.create({ cache: true });
    const plain = await WebGpuProxyBackend.create({ cache: false });
    backends.push(cached, plain);
    // SynFlow's program, planned as the backend plans it: which of b's kernels a's plan has.
    const wgsl = (g: typeof a) =>
      planGraph(buildGradient(g!, { loss: { kind: 'cotangents' }, training: false }).graph, {
        target: targetOf(cached.acq.report),
        dims: { B: 1 },
        training: false,
      }).dispatches.map((d) => d.wgsl);
    const [ka, kb] = [wgsl(a), wgsl(b)];
    const fromA = kb.filter((w) => ka.includes(w)).length;
    const repeats = kb.filter((w, i) => !ka.includes(w) && kb.indexOf(w) < i).length;
    expect(fromA).toBeGreaterThan(kb.length / 2);
    expect(fromA).toBeLessThan(kb.length);

    const data = proxyBatches('mnist', [3, 8, 8], 10, 1, 0, 1);
    const opts = { batches: data.batches, batch: 1, seed: 5, proxies: ['synflow'] };
    await measureProfiled(a!, { ...opts, backend: cached });
    const shared = await measureProfiled(b!, { ...opts, backend: cached });
    const own = await measureProfiled(b!, { ...opts, backend: plain });
    expect(shared.clock.pipelinesAsked).toBe(kb.length);
    expect(shared.clock.pipelinesCached).toBe(fromA + repeats);
    expect(Number.isFinite(shared.values['synflow']) && shared.values['synflow']! > 0).toBe(true);
    expect(Object.is(shared.values['synflow'], own.values['synflow'])).toBe(true);
  });
});
