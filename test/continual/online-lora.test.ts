// Online-LoRA's structural guarantees (methods.md §7's tests), on the reference interpreter and
// the kernel planner: the penalty's gradient is λ·Ω⊙(θ − θ*) and is fused into the optimizer update;
// a clean consolidation keeps the predictions; fresh adapters leave the output unchanged; the
// code-faithful separate merge does not keep them (its cross terms); frozen weights get no
// gradient buffer or kernel.
import { describe, expect, it } from 'vitest';
import { anchorBuffer, applyStep, importanceBuffer } from '../../compiler/autodiff/optimizer.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { intTensor, type Tensor } from '../../compiler/reference/tensor.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { applyRewrites, resolveRules, rewrittenTrainStep } from '../../compiler/rewrites/index.js';
import { freshAdapters, mergedWeights } from '../../compiler/drivers/continual/consolidate.js';
import { graphOf } from '../helpers/compile.js';
import { maxRelDiff, random, rule } from '../rewrites/util.js';

const mlp = graphOf(
  `model m(x: Tensor[B, 16]) {\n  h = gelu(linear(x, 12) as "fc1")\n  h = linear(h, 12) as "fc2"\n  return linear(h, 5) as "head"\n}\n`,
);
const { plan } = resolveRules(mlp, [rule('fc*', { kind: 'lora', rank: 2, alpha: 2 })]);
const rw = applyRewrites(mlp, plan);
const adapterParams = rw.adapters.flatMap((a) => [a.a, a.b]);
const x = random([3, 16], 1, 'x');

const f32 = (t: Tensor) => Float32Array.from(t.data);
const forward = (params: ReadonlyMap<string, Tensor>) =>
  run(rw.graph, { inputs: { x }, params, training: false, precision: 'f32' }).outputs.get('output')!;

/** Random adapters (B ≠ 0, so they change the output). */
function trainedParams(): Map<string, Tensor> {
  const params = initParams(rw.graph, 5, 'f32');
  for (const p of adapterParams)
    params.set(p, { shape: params.get(p)!.shape, data: f32(random(params.get(p)!.shape, 9, p)) });
  return params;
}

describe('online-lora penalty', () => {
  const lambda = 2000;
  const opts = {
    loss: { kind: 'cross_entropy' as const },
    optimizer: { kind: 'sgd' as const },
    frozen: ['head.weight', 'head.bias'],
  };
  const plain = rewrittenTrainStep(mlp, plan, opts).step;
  const pen = rewrittenTrainStep(mlp, plan, { ...opts, penalty: { lambda, params: adapterParams } }).step;

  it('adds λ·Ω⊙(θ − θ*) to the gradient of each penalised parameter', () => {
    const params = new Map<string, Tensor>(
      [...trainedParams()].map(([k, t]) => [k, { shape: t.shape, data: Float64Array.from(t.data) }]),
    );
    const omega = new Map(adapterParams.map((p) => [p, random(params.get(p)!.shape, 3, `omega:${p}`)]));
    for (const [p, o] of omega) params.set(importanceBuffer(p), { shape: o.shape, data: o.data.map(Math.abs) });
    // the anchor: where the fresh adapters started (A a draw, B zero)
    for (const p of adapterParams) {
      const shape = params.get(p)!.shape;
      const data = p.endsWith('lora_B') ? new Float64Array(shape.reduce((a, d) => a * d, 1)) : random(shape, 4, p).data;
      params.set(anchorBuffer(p), { shape, data: Float64Array.from(data) });
    }
    const inputs = { x, labels: intTensor([3], [0, 3, 4]), lr: { shape: [], data: Float64Array.of(1) } };
    const a = run(plain.graph, { inputs, params, training: true });
    const b = run(pen.graph, { inputs, params, training: true });
    const pa = applyStep(plain, params, a.outputs, a.buffers);
    const pb = applyStep(pen, params, b.outputs, b.buffers);
    for (const p of adapterParams) {
      const theta = params.get(p)!.data;
      const om = params.get(importanceBuffer(p))!.data;
      const anchor = params.get(anchorBuffer(p))!.data;
      // SGD with lr 1: θ' = θ − g, so the difference of the two updates is the penalty's gradient
      const got = pa.get(p)!.data.map((v, i) => v - pb.get(p)!.data[i]!);
      const want = theta.map((t, i) => lambda * om[i]! * (t - anchor[i]!));
      expect(maxRelDiff({ shape: [got.length], data: got }, { shape: [want.length], data: want })).toBeLessThan(1e-9);
    }
    // the fc weights are frozen and the head was frozen too: no update at all for them
    expect(pen.updates.has('fc1.weight')).toBe(false);
    expect(pen.updates.has('head.weight')).toBe(false);
  });

  it('is fused into the optimizer update: no kernel more than without it', () => {
    const dims = { B: 4 };
    const a = planGraph(plain.graph, { target: SOFTWARE_TARGET, dims, training: true, updates: plain.updates });
    const b = planGraph(pen.graph, { target: SOFTWARE_TARGET, dims, training: true, updates: pen.updates });
    expect(b.dispatches.length).toBe(a.dispatches.length);
    expect(b.params.map((p) => p.param.name).filter((n) => n.endsWith('@importance'))).toHaveLength(
      adapterParams.length,
    );
    expect(b.params.map((p) => p.param.name).filter((n) => n.endsWith('@anchor'))).toHaveLength(adapterParams.length);
  });

  it('gives the frozen weights no gradient buffer and no weight-gradient kernel', () => {
    expect([...pen.grads.keys()].sort()).toEqual([...adapterParams].sort());
    const p = planGraph(pen.graph, { target: SOFTWARE_TARGET, dims: { B: 4 }, training: true, updates: pen.updates });
    const names = [...p.outputs.map((o) => o.name), ...p.params.map((q) => q.param.name)];
    for (const w of ['fc1.weight', 'fc2.weight', 'head.weight'])
      expect(names.filter((n) => n.includes(w) && n !== w)).toEqual([]);
    const gemms = pen.graph.nodes.filter((n) => n.op === 'linear_grad_weight');
    expect(gemms).toHaveLength(adapterParams.length);
  });
});

describe('online-lora consolidation', () => {
  const state = (params: ReadonlyMap<string, Tensor>) => new Map([...params].map(([k, t]) => [k, f32(t)]));
  const shapes = new Map(rw.graph.params.map((p) => [p.name, { shape: p.shape, init: p.init }]));
  const apply = (params: Map<string, Tensor>, upd: ReadonlyMap<string, Float32Array>) => {
    for (const [k, d] of upd) params.set(k, { shape: params.get(k)!.shape, data: d });
  };

  it('clean: W += B·A with fresh adapters (B = 0) leaves the predictions unchanged', () => {
    const params = trainedParams();
    const before = forward(params);
    const sep = { base: new Map(), aSum: new Map(), bSum: new Map() };
    apply(params, mergedWeights(rw.adapters, state(params), 'clean', sep));
    // merged but the old adapters still in place: the update counted twice, so it changes
    expect(maxRelDiff(forward(params), before)).toBeGreaterThan(1e-3);
    apply(params, freshAdapters(rw.adapters, shapes, 0, 1));
    expect(maxRelDiff(forward(params), before)).toBeLessThan(1e-5);
    // the fresh A is a new draw, not zero and not the old one
    expect(params.get('fc1.lora_A')!.data.some((v) => v !== 0)).toBe(true);
    expect(params.get('fc1.lora_B')!.data.every((v) => v === 0)).toBe(true);
  });

  it('fresh adapters alone leave the output unchanged', () => {
    const params = trainedParams();
    for (const a of rw.adapters)
      params.set(a.b, { shape: params.get(a.b)!.shape, data: new Float32Array(params.get(a.b)!.data.length) });
    const before = forward(params);
    apply(params, freshAdapters(rw.adapters, shapes, 7, 3));
    expect(maxRelDiff(forward(params), before)).toBe(0);
  });

  it('separate (the official code): equal to clean at the first merge, cross terms at the second', () => {
    const params = trainedParams();
    const clean = new Map(params);
    const sep = { base: new Map(), aSum: new Map(), bSum: new Map() };
    const sepClean = { base: new Map(), aSum: new Map(), bSum: new Map() };
    apply(params, mergedWeights(rw.adapters, state(params), 'separate', sep));
    apply(clean, mergedWeights(rw.adapters, state(clean), 'clean', sepClean));
    expect(maxRelDiff(forward(params), forward(clean))).toBeLessThan(1e-5);
    // second round: new random adapters in both, merged again
    for (const p of adapterParams) {
      const t = { shape: params.get(p)!.shape, data: f32(random(params.get(p)!.shape, 11, p)) };
      params.set(p, t);
      clean.set(p, t);
    }
    const beforeSep = forward(params);
    apply(params, mergedWeights(rw.adapters, state(params), 'separate', sep));
    apply(params, freshAdapters(rw.adapters, shapes, 0, 2));
    apply(clean, mergedWeights(rw.adapters, state(clean), 'clean', sepClean));
    apply(clean, freshAdapters(rw.adapters, shapes, 0, 2));
    expect(maxRelDiff(forward(params), beforeSep)).toBeGreaterThan(1e-3);
    expect(maxRelDiff(forward(clean), forward(params))).toBeGreaterThan(1e-3);
  });
});
