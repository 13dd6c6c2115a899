// Whole forward passes of the examples on WebGPU against the reference interpreter, and the
// number of kernels each compiles to — so fusion cannot silently regress.
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../helpers/compile.js';
import { relError } from '../../compiler/reference/tensor.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { device, runBoth, describe as show } from './harness.js';

const graph = (name: string) => {
  const r = compileFile(`examples/${name}.mdl`);
  if (!r.graph) throw new Error(`${name} did not compile`);
  return r.graph;
};

afterAll(async () => (await device()).device.destroy());

describe('forward passes match the interpreter (batch 2)', () => {
  it('mlp', async () => {
    const r = await runBoth(graph('mlp'), { dims: { B: 2 } });
    expect(r.err).toBeLessThan(1e-5);
  });

  it('lenet5', async () => {
    const r = await runBoth(graph('lenet5'), { dims: { B: 2 } });
    expect(r.err).toBeLessThan(1e-5);
  });

  it('resnet20, inference (running statistics)', async () => {
    const r = await runBoth(graph('resnet20'), { dims: { B: 2 }, randomParams: true });
    expect(r.err).toBeLessThan(1e-4);
  });

  it('resnet20, training mode (batch statistics, running statistics updated)', async () => {
    const r = await runBoth(graph('resnet20'), { dims: { B: 2 }, training: true, randomParams: true });
    expect(r.err).toBeLessThan(1e-4);
    expect(r.refBuffers.size).toBe(19 * 2);
    for (const [name, t] of r.refBuffers) expect(relError(r.gpuBuffers.get(name)!, t.data), name).toBeLessThan(1e-4);
  });
});

describe('kernel counts', () => {
  // Each count is what fusion achieves today; a rise means a fusion stopped happening.
  const cases: [string, boolean, number][] = [
    // linear+relu, linear
    ['mlp', false, 2],
    // conv1, relu+maxpool, conv2, relu+maxpool, fc1+relu, fc2+relu, fc3 (flatten is a view)
    ['lenet5', false, 7],
    // 19 convs with batchnorm (+add) + relu epilogues; the last block's bn+add+relu fused into
    // global_avgpool's prologue (so its conv has no epilogue); linear
    ['resnet20', false, 21],
    // training: batchnorm needs batch statistics, so each of the 19 convs is followed by its
    // batchnorm kernel (with relu / add+relu epilogues), except the last block's, whose add+relu
    // go into global_avgpool's prologue; then linear
    ['resnet20', true, 40],
  ];
  for (const [name, training, count] of cases)
    it(`${name}${training ? ' (training)' : ''} compiles to ${count} kernels`, () => {
      const plan = planGraph(graph(name), { target: SOFTWARE_TARGET, dims: { B: 2 }, training });
      expect(plan.dispatches.length, show(plan)).toBe(count);
    });
});
