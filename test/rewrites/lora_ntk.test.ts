// LoRA-only training and NTK linearisation: the structural guarantees (the model is unchanged at
// initialisation, frozen weights get no gradient op, buffer or kernel, merging keeps
// predictions), and the linearisation's exactness (f_lin = f at θ0; on a model linear in θ the
// linearised training is the exact training, and converges to the least-squares solution).
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { applyStep } from '../../compiler/autodiff/optimizer.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { applyRewrites, mergeLora, mergeNtk, resolveRules, rewrittenTrainStep } from '../../compiler/rewrites/index.js';
import { graphOf } from '../helpers/compile.js';
import { maxRelDiff, random, rule } from './util.js';

const mlp = graphOf(
  `model m(x: Tensor[B, 4, 16]) {\n  h = gelu(linear(x, 12) as "fc1")\n  h = layernorm(h) as "ln"\n  return linear(h, 5) as "fc2"\n}\n`,
);

function forward(g: typeof mlp, params: ReadonlyMap<string, Tensor>, x: Tensor): Tensor {
  return run(g, { inputs: { x }, params, training: false }).outputs.get('output')!;
}

describe('lora', () => {
  const { plan } = resolveRules(mlp, [rule('fc*', { kind: 'lora', rank: 2, alpha: 4 })]);
  const rw = applyRewrites(mlp, plan);

  it('adds adapters A [r, in] and B [out, r] and leaves the output unchanged at initialisation', () => {
    expect(
      rw.graph.params.filter((p) => p.name.includes('lora')).map((p) => `${p.name} [${p.shape.join(', ')}]`),
    ).toEqual(['fc1.lora_A [2, 16]', 'fc1.lora_B [12, 2]', 'fc2.lora_A [2, 12]', 'fc2.lora_B [5, 2]']);
    const params = initParams(rw.graph, 3);
    const x = random([3, 4, 16], 1, 'x');
    expect(maxRelDiff(forward(rw.graph, params, x), forward(mlp, params, x))).toBe(0);
    // … and B ≠ 0 changes it (the adapters are really in the path)
    params.set('fc2.lora_B', random([5, 2], 2, 'b'));
    expect(maxRelDiff(forward(rw.graph, params, x), forward(mlp, params, x))).toBeGreaterThan(1e-3);
  });

  it('gives frozen weights no gradient op, no gradient buffer and no kernel', () => {
    const { step } = rewrittenTrainStep(mlp, plan, {
      loss: { kind: 'mse' },
      optimizer: { kind: 'sgd', momentum: 0.9 },
    });
    expect([...step.grads.keys()].sort()).toEqual([
      'fc1.lora_A',
      'fc1.lora_B',
      'fc2.lora_A',
      'fc2.lora_B',
      'ln.bias',
      'ln.weight',
    ]);
    const dims = { B: 2 };
    const lora = planGraph(step.graph, { target: SOFTWARE_TARGET, dims, training: true, updates: step.updates });
    expect(
      lora.outputs.map((o) => o.name).filter((n) => n.startsWith('grad:fc1.weight') || n.startsWith('grad:fc2.weight')),
    ).toEqual([]);
    // weight-gradient GEMMs: one per adapter matrix, none for fc1.weight or fc2.weight
    const gemms = step.graph.nodes.filter((n) => n.op === 'linear_grad_weight');
    expect(gemms).toHaveLength(4);
    expect(lora.dispatches.length).toBe(KERNELS_LORA);
  });

  it('merging the adapters keeps the predictions', () => {
    const params = initParams(rw.graph, 5);
    for (const p of ['fc1.lora_A', 'fc1.lora_B', 'fc2.lora_A', 'fc2.lora_B'])
      params.set(p, random(params.get(p)!.shape, 9, p));
    const x = random([3, 4, 16], 1, 'x');
    const f32 = new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
    const merged = mergeLora(f32, rw.adapters);
    expect([...merged.keys()].some((k) => k.includes('lora'))).toBe(false);
    const mergedParams = new Map([...merged].map(([k, t]) => [k, tensor(t.shape, t.data)]));
    expect(maxRelDiff(forward(mlp, mergedParams, x), forward(rw.graph, params, x))).toBeLessThan(1e-6);
  });
});

describe('lora on convolutions', () => {
  it('adds a rank-r convolution and a 1×1 one, leaves the output unchanged at initialisation, and merges exactly', () => {
    const g = graphOf(
      `model m(x: Tensor[B, 3, 8, 8]) {\n  h = relu(conv2d(x, 8, 3, stride=2, padding=1) as "conv")\n  return linear(flatten(h), 4) as "fc"\n}\n`,
    );
    const { plan } = resolveRules(g, [rule('conv', { kind: 'lora', rank: 2, alpha: 2 })]);
    const rw = applyRewrites(g, plan);
    expect(
      rw.graph.params.filter((p) => p.name.includes('lora')).map((p) => `${p.name} [${p.shape.join(', ')}]`),
    ).toEqual(['conv.lora_A [2, 3, 3, 3]', 'conv.lora_B [8, 2, 1, 1]']);
    expect(rw.frozen).toEqual(['conv.weight', 'conv.bias']);
    const params = initParams(rw.graph, 3);
    const x = random([2, 3, 8, 8], 1, 'x');
    expect(maxRelDiff(forward(rw.graph, params, x), forward(g, params, x))).toBe(0);
    params.set('conv.lora_B', random([8, 2, 1, 1], 2, 'b'));
    expect(maxRelDiff(forward(rw.graph, params, x), forward(g, params, x))).toBeGreaterThan(1e-3);
    const f32 = new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
    const merged = new Map([...mergeLora(f32, rw.adapters)].map(([k, t]) => [k, tensor(t.shape, t.data)]));
    expect(maxRelDiff(forward(g, merged, x), forward(rw.graph, params, x))).toBeLessThan(1e-6);
  });
});

describe('ntk_linear', () => {
  it('at θ = θ0 gives the model’s own output, and only the selected parameters get offsets', () => {
    const { plan } = resolveRules(mlp, [rule('ln', { kind: 'ntk_linear' }), rule('fc2', { kind: 'ntk_linear' })]);
    const rw = applyRewrites(mlp, plan, { training: false });
    expect([...rw.deltas.values()].sort()).toEqual([
      'fc2.bias.delta',
      'fc2.weight.delta',
      'ln.bias.delta',
      'ln.weight.delta',
    ]);
    const params = initParams(rw.graph, 1);
    const x = random([3, 4, 16], 1, 'x');
    expect(maxRelDiff(forward(rw.graph, params, x), forward(mlp, params, x))).toBeLessThan(1e-15);
    // away from θ0 it is the first-order model, not the network
    params.set('ln.weight.delta', random([12], 3, 'd'));
    const lin = forward(rw.graph, params, x);
    const moved = new Map(params);
    moved.set(
      'ln.weight',
      tensor(
        [12],
        params.get('ln.weight')!.data.map((v, i) => v + params.get('ln.weight.delta')!.data[i]!),
      ),
    );
    // layernorm's affine weight enters linearly: for it alone the linearisation is exact
    expect(maxRelDiff(lin, forward(mlp, moved, x))).toBeLessThan(1e-12);
    const grads = buildGradient(rw.graph, { loss: { kind: 'mse' }, frozen: rw.frozen, training: false }).grads;
    expect([...grads.keys()].sort()).toEqual([
      'fc2.bias.delta',
      'fc2.weight.delta',
      'ln.bias.delta',
      'ln.weight.delta',
    ]);
  });

  it('on a linear model trains exactly like the model, to the least-squares solution', () => {
    const g = graphOf(`model m(x: Tensor[12, 3]) {\n  return linear(x, 1) as "fc"\n}\n`);
    const x = random([12, 3], 4, 'x');
    const y = random([12, 1], 4, 'y');
    const lr = 0.1;
    const exact = rewrittenTrainStep(g, new Map(), { loss: { kind: 'mse' }, optimizer: { kind: 'sgd' } }).step;
    const { plan } = resolveRules(g, [rule('fc', { kind: 'ntk_linear' })]);
    const lin = rewrittenTrainStep(g, plan, { loss: { kind: 'mse' }, optimizer: { kind: 'sgd' } });
    let pe = initParams(g, 0);
    let pl = initParams(lin.step.graph, 0);
    for (let i = 0; i < 600; i++) {
      const re = run(exact.graph, { inputs: { x, target: y, lr: tensor([], [lr]) }, params: pe, training: true });
      pe = applyStep(exact, pe, re.outputs, re.buffers);
      const rl = run(lin.step.graph, { inputs: { x, target: y, lr: tensor([], [lr]) }, params: pl, training: true });
      pl = applyStep(lin.step, pl, rl.outputs, rl.buffers);
      if (i === 4) {
        const merged = mergeNtk(
          new Map([...pl].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }])),
          lin.rewritten.deltas,
        );
        expect(maxRelDiff(tensor([1, 3], merged.get('fc.weight')!.data), pe.get('fc.weight')!)).toBeLessThan(1e-6);
      }
    }
    // least squares with a bias column, by the normal equations
    const A = Array.from({ length: 12 }, (_, i) => [x.data[3 * i]!, x.data[3 * i + 1]!, x.data[3 * i + 2]!, 1]);
    const M = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => A.reduce((s, row) => s + row[r]! * row[c]!, 0)));
    const v = [0, 1, 2, 3].map((r) => A.reduce((s, row, i) => s + row[r]! * y.data[i]!, 0));
    for (let c = 0; c < 4; c++)
      for (let r = c + 1; r < 4; r++) {
        const f = M[r]![c]! / M[c]![c]!;
        for (let k = c; k < 4; k++) M[r]![k]! -= f * M[c]![k]!;
        v[r]! -= f * v[c]!;
      }
    const sol = [0, 0, 0, 0];
    for (let r = 3; r >= 0; r--)
      sol[r] = (v[r]! - [0, 1, 2, 3].slice(r + 1).reduce((s, k) => s + M[r]![k]! * sol[k]!, 0)) / M[r]![r]!;
    const w = [0, 1, 2].map((i) => pl.get('fc.weight')!.data[i]! + pl.get('fc.weight.delta')!.data[i]!);
    const b = pl.get('fc.bias')!.data[0]! + pl.get('fc.bias.delta')!.data[0]!;
    expect(Math.max(...w.map((wi, i) => Math.abs(wi - sol[i]!)), Math.abs(b - sol[3]!))).toBeLessThan(1e-6);
  });
});

// Pinned: forward 8 + adapters, loss, backward without the base weights' gradients, one grouped
// optimizer update. A change means fusion or the frozen-weight pruning changed.
const KERNELS_LORA = 24;
