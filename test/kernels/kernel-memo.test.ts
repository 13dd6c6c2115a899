// The kernel memo (compiler/kernels/kernel-memo.ts) must change nothing but the planner's time:
// every plan below is made without it, then with it from empty, then with it warm, and the
// three must agree in full (kernels' IR and WGSL, bindings, buffers, dispatch names and nodes).
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { bindDims } from '../../compiler/analysis/summary.js';
import { buildGradient, type LossSpec } from '../../compiler/autodiff/grad.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import type { Graph } from '../../compiler/ir/types.js';
import { KERNEL_MEMO } from '../../compiler/kernels/kernel-memo.js';
import { planGraph, type Plan, type PlanOptions } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { candidate, indices, openSpace } from '../../compiler/space/space.js';
import { compileFile, graphOf } from '../helpers/compile.js';

/** Everything a plan says, as text (the kernel IR included). */
function text(p: Plan): string {
  return JSON.stringify({ ...p, readable: [...p.readable], attempts: 0 });
}

/** Expects two plans equal, naming the first dispatch that differs (a plan's text is megabytes). */
function expectSame(got: Plan, want: Plan, label: string): void {
  const n = Math.max(got.dispatches.length, want.dispatches.length);
  for (let i = 0; i < n; i++) {
    const [a, b] = [JSON.stringify(got.dispatches[i]), JSON.stringify(want.dispatches[i])];
    expect(a === b, `${label}: dispatch ${i} (${want.dispatches[i]?.name}) differs`).toBe(true);
  }
  expect(text(got) === text(want), `${label}: the plans differ outside their dispatches`).toBe(true);
}

/** Plans `g` three ways and expects one plan; returns it. */
function samePlans(g: Graph, opts: PlanOptions): Plan {
  const off = planGraph(g, { ...opts, memo: false });
  KERNEL_MEMO.clear();
  const cold = planGraph(g, opts);
  const warm = planGraph(g, opts);
  expectSame(cold, off, 'memo from empty');
  expectSame(warm, off, 'memo warm');
  return warm;
}

const model = (name: string): Graph => {
  const r = compileFile(`examples/${name}.mdl`);
  if (!r.graph) throw new Error(`${name} did not compile`);
  return r.graph;
};

beforeEach(() => KERNEL_MEMO.clear());

describe('plans with the kernel memo equal plans without it', () => {
  // Between them: conv, depthwise and transposed conv, batchnorm, pooling, upsampling, attention,
  // layernorm, softmax, GELU, masking, the losses and the optimizer groups.
  const MODELS: [string, LossSpec][] = [
    ['mlp', { kind: 'cross_entropy' }],
    ['lenet5', { kind: 'cross_entropy' }],
    ['resnet20', { kind: 'cross_entropy' }],
    ['adapt', { kind: 'cross_entropy' }],
    ['vit_prompt_fmnist', { kind: 'cross_entropy' }],
    ['mae_small', { kind: 'output', output: 'loss' }],
    ['unet_small', { kind: 'mse' }],
  ];
  for (const [name, loss] of MODELS) {
    it(`${name}: inference and an Adam training step`, () => {
      const g = model(name);
      samePlans(g, { target: SOFTWARE_TARGET, dims: bindDims(g, 2) });
      const ts = buildTrainStep(g, { loss, optimizer: { kind: 'adam' } });
      samePlans(ts.graph, {
        target: SOFTWARE_TARGET,
        dims: bindDims(ts.graph, 2),
        training: true,
        updates: ts.updates,
      });
    });
  }

  for (const [file, n] of [
    ['examples/nb201.mdl', 6],
    ['examples/mbv2_space.mdl', 3],
  ] as const)
    it(`${file}: gradient graphs of ${n} candidates, one memo for all`, () => {
      const space = openSpace({ path: file, text: readFileSync(file, 'utf8') }, nodeHost).space!;
      const graphs = [...indices(space.size, n, 7)].map((i) => {
        const g = candidate(space, i).graph!;
        return buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true }).graph;
      });
      const opts = (g: Graph): PlanOptions => ({ target: SOFTWARE_TARGET, dims: bindDims(g, 4), training: true });
      const off = graphs.map((g) => planGraph(g, { ...opts(g), memo: false }));
      KERNEL_MEMO.clear();
      graphs.forEach((g, k) => expectSame(planGraph(g, opts(g)), off[k]!, `candidate ${k}`));
      // Repeated kernels are found: most kernels of such graphs come from the memo.
      expect(KERNEL_MEMO.stats.hits).toBeGreaterThan(KERNEL_MEMO.stats.misses);
    });
});

it('examples/flash_space.mdl: inference plans of 2 candidates (DenseNet concatenations)', () => {
  // Its concatenations bind more buffers than WebGPU's default limit of 8; CPU adapters allow more.
  const target = { ...SOFTWARE_TARGET, limits: { ...SOFTWARE_TARGET.limits, maxStorageBuffersPerShaderStage: 64 } };
  const file = 'examples/flash_space.mdl';
  const space = openSpace({ path: file, text: readFileSync(file, 'utf8') }, nodeHost).space!;
  for (const i of indices(space.size, 2, 7)) {
    const g = candidate(space, i).graph!;
    samePlans(g, { target, dims: bindDims(g, 2) });
  }
});

describe('what the memo must not merge', () => {
  it('values kept readable (as NASWOT keeps ReLU inputs) change the kernels around them', () => {
    const g = model('resnet20');
    const keep = g.nodes.filter((_, i) => i % 3 === 0).map((n) => n.outputs[0]!);
    samePlans(g, { target: SOFTWARE_TARGET, dims: bindDims(g, 2), keep });
    samePlans(g, { target: SOFTWARE_TARGET, dims: bindDims(g, 2), materialize: keep.slice(0, 5) });
  });

  it('two dropouts alike: each keeps its own random stream (salted by its name)', () => {
    const g = graphOf(
      'model m(x: Tensor[B, 32]) {\n  a = dropout(relu(x), 0.5) as "d1"\n  b = dropout(relu(x), 0.5) as "d2"\n  return a + b\n}\n',
    );
    const plan = samePlans(g, { target: SOFTWARE_TARGET, dims: { B: 3 }, training: true, keep: [] });
    const texts = plan.dispatches.map((d) => d.wgsl);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('one input read twice keys apart from two inputs alike', () => {
    const g = graphOf(
      'model m(x: Tensor[B, 8], y: Tensor[B, 8]) {\n  a = exp(x) * exp(x)\n  b = exp(x) * exp(y)\n  return matmul(a, transpose(b, 0, 1)), a\n}\n',
    );
    samePlans(g, { target: SOFTWARE_TARGET, dims: { B: 5 } });
  });

  it("tile overrides never share a kernel with the heuristics' tiles", () => {
    const g = model('lenet5');
    const base = { target: SOFTWARE_TARGET, dims: bindDims(g, 2) };
    const a = planGraph(g, base);
    const b = planGraph(g, { ...base, tiles: { conv: { to: 1 } } });
    const c = planGraph(g, { ...base, tiles: { conv: { to: 1 } }, memo: false });
    expectSame(b, c, 'tile overrides');
    expect(text(b)).not.toBe(text(a));
  });
});
