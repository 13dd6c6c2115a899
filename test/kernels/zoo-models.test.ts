// The encoder–decoder examples of the model zoo: a small U-Net and a small masked autoencoder
// for 28×28 images differentiate on WebGPU as on the interpreter (a whole gradient graph of the
// masked autoencoder's loss, its random mask included), and ResNet-56 is ResNet-20 with nine
// blocks per stage.
import { afterAll, describe, expect, it } from 'vitest';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { INT } from '../../compiler/elaborate/values.js';
import { compileFile, render } from '../helpers/compile.js';
import { device, runBoth, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

function graph(file: string, batch = 2) {
  const r = compileFile(`examples/${file}.mdl`);
  expect(render(r)).toBe('');
  return { g: r.graph!, s: summarize(r.graph!, bindDims(r.graph!, batch)) };
}

describe('encoder–decoder examples', () => {
  it('unet_small: 28×28 in, 28×28 out; its gradients on WebGPU match the interpreter', async () => {
    const { g, s } = graph('unet_small', 1);
    expect(s.params.total).toBe(117_073);
    expect(g.values[g.outputs[0]!.value]!.type.shape).toEqual(['B', 1, 28, 28]);
    const gg = buildGradient(g, { loss: { kind: 'mse' }, training: true });
    const r = await runBoth(gg.graph, { dims: { B: 2 }, seed: 1 });
    r.executor.destroy();
    expect(r.err, show(r.plan)).toBeLessThan(2e-4);
  }, 240_000);

  it('mae_small: the masked loss and its gradients on WebGPU match the interpreter', async () => {
    const { g, s } = graph('mae_small');
    expect(s.params.total).toBe(234_064);
    expect(g.outputs.map((o) => [o.name, g.values[o.value]!.type.shape])).toEqual([
      ['loss', []],
      ['pred', ['B', 49, 16]],
      ['mask', ['B', 49]],
    ]);
    const gg = buildGradient(g, { loss: { kind: 'output', output: 'loss' }, training: true });
    for (const step of [0, 1]) {
      const r = await runBoth(gg.graph, { dims: { B: 2 }, seed: 2, step });
      r.executor.destroy();
      expect(r.err, show(r.plan)).toBeLessThan(2e-4);
    }
  }, 240_000);
});

describe('resnet56', () => {
  it('is resnet20 with --arg blocks_per_stage=9: the same layers, 853,018 params, 125,485,696 MACs', () => {
    const { g, s } = graph('resnet56', 1);
    expect([s.params.total, s.macs]).toEqual([853_018, 125_485_696]);
    const r20 = compileFile('examples/resnet20.mdl', { args: new Map([['blocks_per_stage', INT(9)]]) }).graph!;
    expect(g.params.map((p) => [p.name, p.shape])).toEqual(r20.params.map((p) => [p.name, p.shape]));
  });
});
