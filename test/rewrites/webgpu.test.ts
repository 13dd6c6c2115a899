// Every rewrite runs on the WebGPU runtime and matches the reference interpreter running the
// same rewritten graph (float32 on both): a whole training step (forward, loss, rewritten
// backward, optimizer update) of small models, and the patch kernels on awkward shapes
// (overhanging patches with zero and reflect borders, strided k×k convolutions, depthwise).
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { applyRewrites, resolveRules, rewrittenTrainStep, type BackwardRule } from '../../compiler/rewrites/index.js';
import { graphOf } from '../helpers/compile.js';
import { runBoth } from '../kernels/harness.js';
import { rule } from './util.js';

const TOL = 2e-4;

async function vjpBoth(src: string, rules: readonly BackwardRule[]) {
  const g = graphOf(src);
  const { plan, diagnostics } = resolveRules(g, rules);
  expect(diagnostics).toEqual([]);
  const rw = applyRewrites(g, plan);
  const gg = buildGradient(rw.graph, {
    loss: { kind: 'cotangents' },
    wrtInputs: ['x'],
    frozen: rw.frozen,
    rules: rw.rules,
  });
  return runBoth(gg.graph, { training: true });
}

describe('rewritten backward kernels on WebGPU', () => {
  it('lbp_wht on tokens with a class token and reflected borders (grid 6×6, patch 4)', async () => {
    const r = await vjpBoth(`model m(x: Tensor[2, 37, 5]) {\n  return linear(x, 6) as "fc"\n}\n`, [
      rule('fc', { kind: 'lbp_wht', patch: 4, order: 3, basis: 'lp_l1', extraTokens: 1 }),
    ]);
    expect(r.plan.dispatches.some((d) => d.name.includes('patch_project'))).toBe(true);
    expect(r.err).toBeLessThan(TOL);
  });
  it('lbp_wht full basis on a 1×1 convolution (patch 4)', async () => {
    const r = await vjpBoth(`model m(x: Tensor[2, 3, 8, 8]) {\n  return conv2d(x, 4, 1) as "conv"\n}\n`, [
      rule('conv', { kind: 'lbp_wht', patch: 4, order: 2, basis: 'full', extraTokens: 0 }),
    ]);
    expect(r.err).toBeLessThan(TOL);
  });
  it('grad_filter on strided, padded and depthwise k×k convolutions with overhanging patches', async () => {
    const src = `model m(x: Tensor[2, 4, 9, 9]) {\n  h = conv2d(x, 4, 3, stride=2, padding=1) as "c1"\n  return conv2d(relu(h), 4, 3, padding=1, groups=4) as "c2"\n}\n`;
    const r = await vjpBoth(src, [
      rule('c1', { kind: 'grad_filter', patch: 2, extraTokens: 0 }),
      rule('c2', { kind: 'grad_filter', patch: 3, extraTokens: 0 }),
    ]);
    expect(r.err).toBeLessThan(TOL);
  });
  it('a training step under lora and grad_filter matches the interpreter step', async () => {
    const g = graphOf(
      `model m(x: Tensor[B, 1, 8, 8]) {\n  h = relu(conv2d(x, 4, 3, padding=1) as "conv")\n  t = reshape(h, [B, 4, 64])\n  t = relu(linear(t, 16) as "fc1")\n  return linear(flatten(t), 10) as "fc2"\n}\n`,
    );
    const { plan } = resolveRules(g, [
      rule('conv', { kind: 'grad_filter', patch: 2, extraTokens: 0 }),
      rule('fc2', { kind: 'lora', rank: 2, alpha: 4 }),
    ]);
    const { step } = rewrittenTrainStep(g, plan, {
      loss: { kind: 'cross_entropy' },
      optimizer: { kind: 'sgd', momentum: 0.9 },
    });
    const r = await runBoth(step.graph, {
      training: true,
      updates: step.updates,
      classes: 10,
      given: { lr: Float32Array.of(0.1) },
    });
    expect(r.err).toBeLessThan(TOL);
  });
  // (The conv has no bias: before a training-mode batchnorm its gradient is exactly zero, and a
  // relative error against zero measures only rounding.)
  it('a training step of an NTK-linearised CNN with batchnorm matches the interpreter step', async () => {
    const g = graphOf(
      `model m(x: Tensor[B, 1, 6, 6]) {\n  h = relu(batchnorm2d(conv2d(x, 3, 3, padding=1, bias=false) as "conv") as "bn")\n  return linear(flatten(h), 4) as "fc"\n}\n`,
    );
    const { plan } = resolveRules(g, [
      rule('conv', { kind: 'ntk_linear' }),
      rule('bn', { kind: 'ntk_linear' }),
      rule('fc', { kind: 'ntk_linear' }),
    ]);
    const { step } = rewrittenTrainStep(g, plan, {
      loss: { kind: 'cross_entropy' },
      optimizer: { kind: 'sgd', momentum: 0 },
    });
    const r = await runBoth(step.graph, {
      training: true,
      updates: step.updates,
      classes: 4,
      given: { lr: Float32Array.of(0.1) },
    });
    expect(r.err).toBeLessThan(TOL);
  });
});
