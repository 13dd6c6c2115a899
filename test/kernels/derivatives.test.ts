// The internal ops of autodiff on WebGPU: gradient graphs (reverse mode) and tangent graphs
// (forward mode, and forward over reverse for second derivatives) of small models that use
// every differentiable op family, against the interpreter running the same graphs.
import { afterAll, describe, expect, it } from 'vitest';
import { graphOf } from '../helpers/compile.js';
import { buildGradient, type LossSpec } from '../../compiler/autodiff/grad.js';
import { buildJvp } from '../../compiler/autodiff/jvp.js';
import type { Graph } from '../../compiler/ir/types.js';
import { device, runBoth, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

const TOL = 1e-4;

async function check(g: Graph, training: boolean, classes = 2): Promise<void> {
  const r = await runBoth(g, { training, randomParams: true, classes, seed: 3, step: 1 });
  r.executor.destroy();
  expect(r.err, show(r.plan)).toBeLessThan(TOL);
}

const models: [string, string, LossSpec][] = [
  [
    'layernorm, gelu (both forms), silu, softmax, mean',
    'model m(x: Tensor[2, 3, 8]) {\n  h = layernorm(linear(x, 8))\n  h = gelu(h) + gelu(h * 0.5, approximate="tanh") + silu(h)\n  return mean(softmax(h) * h, [1])\n}\n',
    { kind: 'mse' },
  ],
  [
    'conv (stride, dilation, depthwise), batchnorm, pooling, slicing, padding',
    'model m(x: Tensor[2, 4, 9, 9]) {\n  h = conv2d(x, 8, 3, stride=2, padding=1, bias=false)\n  h = hardswish(batchnorm2d(h))\n  h = conv2d(h, 8, 3, padding=2, dilation=2, groups=8)\n  s = pad(h[:, :4, ::2, ::2], [0, 0, 0, 0, 2, 2])\n  a = avgpool2d(h, 3, stride=2, padding=1, count_include_pad=false)\n  m = maxpool2d(h, 3, stride=2, padding=1)\n  return flatten(relu6(a + m + s[:, :, :3, :3]))\n}\n',
    { kind: 'cross_entropy' },
  ],
  [
    'dropout, sigmoid, tanh, hardsigmoid, broadcasting, log_softmax, sum',
    'model m(x: Tensor[4, 6], b: Tensor[6]) {\n  h = dropout(tanh(linear(x, 6)) * sigmoid(x) + b, 0.25)\n  return log_softmax(hardsigmoid(h) + sum(h, [1], keepdim=true), axis=1)\n}\n',
    { kind: 'cross_entropy' },
  ],
];

describe('gradient graphs', () => {
  for (const [what, src, loss] of models)
    for (const training of [true, false])
      it(`${what} (${training ? 'training' : 'inference'} mode)`, async () => {
        const g = graphOf(src);
        await check(buildGradient(g, { loss, training, wrtInputs: ['x'] }).graph, training, 6);
      });
});

describe('max pooling backward', () => {
  it('tiling windows (stride = kernel) over an input they do not cover exactly, and ceil mode', async () => {
    for (const ceil of [false, true]) {
      const g = graphOf(
        `model m(x: Tensor[2, 3, 11, 9]) {\n  return flatten(maxpool2d(relu(x * 2.0), 2, ceil_mode=${ceil}))\n}\n`,
      );
      await check(buildGradient(g, { loss: { kind: 'cross_entropy' }, wrtInputs: ['x'] }).graph, true, 6);
    }
  });
});

describe('tangent graphs', () => {
  it('forward mode through pooling, norms and activations', async () => {
    await check(buildJvp(graphOf(models[1]![1]), { training: true }).graph, true);
    await check(buildJvp(graphOf(models[0]![1]), { training: false, inputs: ['x'] }).graph, false);
  });

  it('forward over reverse: second derivatives of activations (act_grad2)', async () => {
    const g = graphOf(
      'model m(x: Tensor[3, 5]) {\n  return gelu(linear(x, 4)) + silu(x[:, :4]) * tanh(x[:, 1:]) + sigmoid(hardswish(x[:, :4]))\n}\n',
    );
    const grad = buildGradient(g, { loss: { kind: 'cotangents' }, training: false }).graph;
    const jg = buildJvp(grad, { training: false });
    expect(jg.graph.nodes.some((n) => n.op === 'act_grad2')).toBe(true);
    await check(jg.graph, false);
  });
});
