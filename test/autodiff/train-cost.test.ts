// Training cost from the real backward graph: backward MACs per layer (dX and dW each cost the
// forward MACs), optimizer FLOPs and state, and the memory kept for the backward pass.
import { describe, expect, it } from 'vitest';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { trainCost } from '../../compiler/analysis/train-cost.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { compileFile } from '../helpers/compile.js';

describe('trainCost', () => {
  const g = compileFile('examples/lenet5.mdl').graph!;

  it('lenet5: backward MACs are dX + dW per layer, none for the input gradient of conv1', () => {
    const gg = buildGradient(g, { loss: { kind: 'cross_entropy' } });
    const c = trainCost(gg, bindDims(gg.graph, 1));
    const row = (n: string) => c.layers.find((r) => r.name === n)!;
    expect(c.forward.macs).toBe(416_520);
    expect(row('conv1').backward.macs).toBe(117_600); // dW only: x needs no gradient
    expect(row('conv2').backward.macs).toBe(2 * 240_000);
    expect(row('fc1').backward.macs).toBe(2 * 48_000);
    expect(row('fc3').backward.macs).toBe(2 * 840);
    expect(c.backward.macs).toBe(2 * 416_520 - 117_600);
    expect(row('h').backward.macs).toBe(0); // max pooling: routing only
    expect(row('h').backward.flops).toBeGreaterThan(0);
    // the MACs scale with the batch
    expect(trainCost(gg, bindDims(gg.graph, 8)).backward.macs).toBe(8 * c.backward.macs);
  });

  it('lenet5: memory of parameters, gradients, optimizer state and kept activations', () => {
    const s = summarize(g, bindDims(g, 4));
    const sgd = trainCost(
      buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } }),
      { B: 4 },
    );
    const adam = trainCost(buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'adam' } }), {
      B: 4,
    });
    const bytes = 61_706 * 4;
    for (const c of [sgd, adam]) {
      expect(c.memory.param_bytes).toBe(bytes);
      expect(c.memory.grad_bytes).toBe(bytes);
    }
    expect(sgd.memory.optimizer_state_bytes).toBe(bytes);
    expect(adam.memory.optimizer_state_bytes).toBe(2 * bytes);
    expect(sgd.optimizer_flops).toBe(6 * 61_706);
    expect(adam.optimizer_flops).toBe(12 * 61_706);
    // what backward reads: conv1's input and output, relu and pool outputs, …: less than all
    // layer outputs (flatten's output is a view the backward does not read, fc3's output is
    // read through the loss), and at least the conv and linear inputs
    const kept = sgd.memory.activations_kept_bytes;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(s.activation_bytes + 4 * 784 * 4 + 4 * 4);
    expect(sgd.memory.activation_peak_bytes).toBeGreaterThanOrEqual(kept);
    expect(sgd.memory.total_bytes).toBe(3 * bytes + sgd.memory.activation_peak_bytes);
    const row = (n: string) => sgd.layers.find((r) => r.name === n)!;
    expect(row('conv1').kept_bytes).toBe(4 * 6 * 28 * 28 * 4); // read by relu's backward
    expect(row('conv1').optimizer_flops).toBe(6 * 156);
  });

  it('frozen layers cost no backward MACs and no gradient memory', () => {
    const gg = buildGradient(g, {
      loss: { kind: 'cross_entropy' },
      frozen: ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias'],
    });
    const c = trainCost(gg, { B: 1 }, { optimizer: { kind: 'adam' } });
    expect(c.layers.find((r) => r.name === 'conv2')!.backward.macs).toBe(0);
    expect(c.backward.macs).toBe(48_000 + 2 * 10_080 + 2 * 840);
    expect(c.memory.grad_bytes).toBe((61_706 - 156 - 2_416) * 4);
    expect(c.memory.optimizer_state_bytes).toBe(2 * c.memory.grad_bytes);
  });
});
