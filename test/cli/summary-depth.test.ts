// `mdl summary --depth N` folds block calls into rows whose figures are the sums of their layers
// (golden for ResNet-18 at depth 2), and the topology scores of one model (NN-Mass, NN-Degree,
// the DTMC path score) are in the table and in --json.
import { describe, expect, it } from 'vitest';
import { foldLayers } from '../../compiler/analysis/blocks.js';
import { formatBlocks } from '../../compiler/analysis/format.js';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { compileFile } from '../helpers/compile.js';
import { expectGolden } from '../helpers/golden.js';
import { mdl } from '../helpers/cli.js';

function resnet18() {
  const g = compileFile('examples/resnet18.mdl').graph!;
  return summarize(g, bindDims(g, 1, {}));
}

describe('summary --depth', () => {
  it('one row per block of ResNet-18 at depth 2, whose sums are the totals (golden)', () => {
    const s = resnet18();
    const blocks = foldLayers(s.layers, 2);
    expect(blocks.filter((b) => b.op === 'block').map((b) => b.name)).toEqual(
      ['layer1', 'layer2', 'layer3', 'layer4'].flatMap((l) => [`${l}.0`, `${l}.1`]),
    );
    const sum = (k: 'params' | 'macs' | 'flops' | 'activation_bytes', rows: readonly { [K in typeof k]: number }[]) =>
      rows.reduce((a, r) => a + r[k], 0);
    for (const k of ['params', 'macs', 'flops', 'activation_bytes'] as const)
      expect(sum(k, blocks), k).toBe(sum(k, s.layers));
    // A block's own subtotal: layer2.0 holds its downsampling shortcut (a 1×1 conv and its batchnorm).
    const l20 = s.layers.filter((l) => l.name.startsWith('layer2.0.'));
    expect(blocks.find((b) => b.name === 'layer2.0')).toMatchObject({
      layers: l20.length,
      params: sum('params', l20),
      output_shape: [1, 128, 28, 28],
    });
    expect(blocks.length).toBeLessThan(20);
    expectGolden('test/golden/summary/resnet18.depth2.txt', formatBlocks(s, blocks, 2) + '\n');
  });

  it('depth 1 folds the stages; a depth beyond the names changes nothing', () => {
    const s = resnet18();
    const stages = foldLayers(s.layers, 1).filter((b) => b.op === 'block');
    expect(stages.map((b) => [b.name, b.layers])).toEqual([
      ['layer1', 14],
      ['layer2', 16],
      ['layer3', 16],
      ['layer4', 16],
    ]);
    expect(foldLayers(s.layers, 9).map((b) => b.name)).toEqual(s.layers.map((l) => l.name));
  });

  it('the CLI: --depth in the table, topology scores in the table and --json', () => {
    const t = mdl('summary', 'examples/resnet18.mdl', '--depth', '2');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/^layer3\.1 +block +7 +\[1, 256, 14, 14\] +1,180,672 +1,180,672 +10\.10 /m);
    expect(t.out).toMatch(/^NN-Mass +\d+\.\d\d$/m);
    const j = mdl('summary', 'examples/resnet50.mdl', '--json');
    expect(j.code, j.err).toBe(0);
    const topology = (JSON.parse(j.out) as { topology: Record<string, number> }).topology;
    expect(topology['nn_mass']).toBeCloseTo(9006.933, 2);
    expect(topology['nn_degree']).toBeGreaterThan(0);
    expect(topology['dtmc_path_score']).toBeGreaterThan(0);
    expect(topology['dtmc_path_score']).toBeLessThanOrEqual(1);
    // Per layer, as torchinfo lists them: input shapes, parameter shapes, trainable count, share.
    const lenet = mdl('summary', 'examples/lenet5.mdl', '--json');
    const conv1 = (JSON.parse(lenet.out) as { layers: Record<string, unknown>[] }).layers[0]!;
    expect(conv1).toMatchObject({
      name: 'conv1',
      input_shapes: [[1, 1, 28, 28]],
      param_shapes: { 'conv1.weight': [6, 1, 5, 5], 'conv1.bias': [6] },
      params: 156,
      trainable: 156,
    });
    expect(conv1['params_percent']).toBeCloseTo((100 * 156) / 61706, 10);
    const bad = mdl('summary', 'examples/lenet5.mdl', '--depth', '2', '--train');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/MDL7005/);
  });
});
