// NN-Mass and NN-Degree as IR analyses. NN-Mass must reproduce the official code's values
// (../shared/research/methods.md §1: the code's per-block formulas for ResNets and
// MobileNetV2, the density formula for DenseNet-type cells); NN-Degree, whose formula is a
// working definition, is checked on hand-computed toy networks.
import { describe, expect, it } from 'vitest';
import { nnDegree } from '../../compiler/analysis/nn-degree.js';
import { nnMass } from '../../compiler/analysis/nn-mass.js';
import { FLOAT, INT, LIST, TUPLE, type V } from '../../compiler/elaborate/values.js';
import { compileFile, graphOf } from '../helpers/compile.js';

const mass = (file: string, args: Record<string, V> = {}) => {
  const r = compileFile(file, { args: new Map(Object.entries(args)) });
  return nnMass(r.graph!);
};

// NN-Mass's Dense_MLP (model_zoo.py): layer 0 and 1 plain, layer L ≥ 2 gets the predecessor's
// output and t_L = min(tc, (L−1)·w) channels of the earlier layers' outputs. `offset` picks
// which of those channels (the official code samples them at random).
const DENSE_MLP = `
model dense_mlp(x: Tensor[B, 2], w: int = 8, d: int = 8, tc: int = 10, offset: int = 0, classes: int = 10) {
  outs = [relu(linear(x, w) as "0")]
  outs = outs + [linear(outs[0], w) as "1"]
  for L in range(2, d) {
    t = min(tc, (L - 1) * w)
    h = outs[L - 1]
    if t > 0 {
      earlier = concat(reversed(outs[0:L - 1]), axis=1)
      start = min(offset, (L - 1) * w - t)
      h = concat([h, earlier[:, start:start + t]], axis=1)
    }
    if L < d - 1 {
      h = relu(h)
    }
    outs = outs + [linear(h, if L < d - 1 { w } else { classes }) as "{L}"]
  }
  return outs[d - 1]
}`;

const RESNET101 = `
import "std/resnet"
model resnet101(x: Tensor[B, 3, 224, 224]) {
  h = imagenet_stem(x) as ""
  for i, (planes, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 23, 2), (512, 3, 2)]) {
    for j in range(blocks) {
      h = bottleneck(h, planes, if j == 0 { stride } else { 1 }) as "layer{i + 1}.{j}"
    }
  }
  return linear(flatten(global_avgpool(h)), 1000) as "fc"
}`;

describe("NN-Mass: the official code's values", () => {
  it('ResNet-18, ResNet-34, ResNet-50 (BasicBlock: inplanes + planes; Bottleneck formula)', () => {
    expect(mass('examples/resnet18.mdl').total).toBe(3392);
    expect(mass('examples/resnet34.mdl').total).toBe(7104);
    expect(mass('examples/resnet50.mdl').total).toBeCloseTo(9006.9333, 4);
    expect(nnMass(graphOf(RESNET101)).total).toBeCloseTo(20612.2667, 4);
  });

  it('MobileNetV2 at widths 1.0, 0.5 and 1.4 (only blocks with a residual count)', () => {
    const m = mass('examples/mobilenet_v2.mdl');
    expect(m.total).toBeCloseTo(1287, 9);
    expect(m.blocks.map((b) => b.kind)).toEqual(Array(10).fill('inverted_residual'));
    expect(mass('examples/mobilenet_v2.mdl', { width_mult: FLOAT(0.5) }).total).toBeCloseTo(650, 9);
    expect(mass('examples/mobilenet_v2.mdl', { width_mult: FLOAT(1.4) }).total).toBeCloseTo(1807, 9);
  });

  it('Dense MLP of the README: width 8, depth 8, tc = 10 → ρ = 58/168, m = 22.0952', () => {
    const m = nnMass(graphOf(DENSE_MLP));
    expect(m.cells).toHaveLength(1);
    expect(m.cells[0]!.skip).toBe(58);
    expect(m.cells[0]!.candidates).toBe(168);
    expect(m.total).toBeCloseTo((58 / 168) * 64, 12);
    expect(m.total).toBeCloseTo(22.0952, 4);
  });

  it('edge cases: tc = 0 gives 0, tc ≥ every candidate count gives ρ = 1 and m = w·d', () => {
    expect(nnMass(graphOf(DENSE_MLP, { args: new Map([['tc', INT(0)]]) })).total).toBe(0);
    expect(nnMass(graphOf(DENSE_MLP, { args: new Map([['tc', INT(48)]]) })).total).toBe(64);
    expect(nnMass(graphOf(DENSE_MLP, { args: new Map([['tc', INT(1000)]]) })).total).toBe(64);
  });

  it('does not depend on which earlier channels the skips take', () => {
    for (const offset of [1, 5, 13, 100])
      expect(nnMass(graphOf(DENSE_MLP, { args: new Map([['offset', INT(offset)]]) })).total).toBeCloseTo(22.0952, 4);
  });

  it('regular_dense_cnn of the README: 3 cells, depth 8, widths 32/64/128, tc 10/20/40 → 160', () => {
    const m = mass('examples/flash_space.mdl');
    expect(m.cells.slice(0, 3).map((c) => c.width)).toEqual([32, 64, 128]);
    for (const c of m.cells.slice(0, 3)) expect(c.density).toBeCloseTo(0.089286, 6);
    expect(m.cells.slice(0, 3).map((c) => c.mass)).toEqual([
      expect.closeTo(22.857, 3),
      expect.closeTo(45.714, 3),
      expect.closeTo(91.429, 3),
    ]);
    expect(m.total).toBeCloseTo(160, 9);
    const wide = mass('examples/flash_space.mdl', {
      cells: LIST([
        TUPLE([INT(32), INT(8), INT(10)]),
        TUPLE([INT(64), INT(8), INT(20)]),
        TUPLE([INT(128), INT(8), INT(0)]),
      ]),
    });
    expect(wide.total).toBeCloseTo(160 - 91.4286, 3);
  });
});

describe('NN-Degree (working definition: Σ_c w_c + t_c/d_c)', () => {
  it('a one-cell dense MLP: w = 8, d = 4, t = 4 + 4 skip channels → 8 + 8/4', () => {
    const g = graphOf(DENSE_MLP, {
      args: new Map([
        ['d', INT(4)],
        ['tc', INT(4)],
      ]),
    });
    const d = nnDegree(g);
    expect(d.cells).toEqual([{ resolution: 'flat', width: 8, depth: 4, skipLinks: 8, degree: 10 }]);
    expect(d.total).toBe(10);
  });

  it('a two-resolution toy with one residual add: (8 + 8/2) + 16 + 10', () => {
    const g = graphOf(`
model toy(x: Tensor[B, 3, 16, 16]) {
  a = conv2d(x, 8, 3, padding=1)
  b = conv2d(relu(a), 8, 3, padding=1)
  h = relu(a + b)
  c = conv2d(h, 16, 3, stride=2, padding=1)
  d = conv2d(relu(c), 16, 3, padding=1)
  return linear(flatten(global_avgpool(d)), 10)
}`);
    const d = nnDegree(g);
    expect(d.cells.map((c) => [c.resolution, c.width, c.depth, c.skipLinks])).toEqual([
      ['16x16', 8, 2, 8],
      ['8x8', 16, 2, 0],
      ['flat', 10, 1, 0],
    ]);
    expect(d.total).toBe(12 + 16 + 10);
    // The residual add is a one-layer block: NN-Mass counts the layer's input width.
    expect(nnMass(g).blocks).toEqual([expect.objectContaining({ kind: 'basic', inp: 8, layers: 1, mass: 8 })]);
  });
});
