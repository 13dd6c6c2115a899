// The examples are real architectures: their parameter and MAC counts must equal the
// reference implementations' (torchvision, DeiT, He et al.) exactly, and their per-layer
// summary tables are pinned by golden files.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../compiler/analysis/format.js';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { expectGolden } from '../helpers/golden.js';
import { checkPath, compileFile, render } from '../helpers/compile.js';

// [file, params, MACs at batch 1]. MACs: conv + linear + matmul multiply-accumulates.
const REFERENCE: [string, number, number | undefined][] = [
  ['resnet18', 11_689_512, 1_814_073_344], // torchvision: 11.69 M params, 1.81 GFLOPS (MACs)
  ['resnet50', 25_557_032, 4_089_184_256], // torchvision: 25.56 M, 4.09 GFLOPS (MACs)
  ['mobilenet_v2', 3_504_872, 300_774_272], // torchvision: 3.50 M, 0.30 GFLOPS (MACs)
  ['vit_b16', 86_567_656, 17_563_828_224], // torchvision: 86.57 M, 17.56 GFLOPS (MACs, attention included)
  ['vit_ti16', 5_717_416, 1_253_683_200], // DeiT-Tiny: 5.72 M params, 1.3 G
  ['resnet20', 269_722, 40_551_040], // He et al. 2016: 0.27 M params; 40.55 M MACs
  ['lenet5', 61_706, 416_520], // LeNet-5 with padded first conv: 61,706 params
  ['mlp', 203_530, 203_264], // 784·256+256 + 256·10+10
];

describe('examples match their reference implementations', () => {
  for (const [name, params, macs] of REFERENCE) {
    it(`${name}: ${params.toLocaleString('en')} params`, () => {
      const r = compileFile(`examples/${name}.mdl`);
      expect(render(r)).toBe('');
      const s = summarize(r.graph!, bindDims(r.graph!, 1));
      expect(s.params.total).toBe(params);
      expect(s.params.trainable).toBe(params);
      if (macs !== undefined) expect(s.macs).toBe(macs);
    });
  }

  it('MACs, FLOPs and activations scale linearly with the symbolic batch', () => {
    const g = compileFile('examples/resnet18.mdl').graph!;
    const s1 = summarize(g, bindDims(g, 1));
    const s8 = summarize(g, bindDims(g, 8));
    expect(s8.macs).toBe(8 * s1.macs);
    expect(s8.flops).toBe(8 * s1.flops);
    expect(s8.activation_bytes).toBe(8 * s1.activation_bytes);
    expect(s8.params.total).toBe(s1.params.total);
  });

  it('parameter names follow torchvision', () => {
    const names = (f: string) => compileFile(`examples/${f}.mdl`).graph!.params.map((p) => p.name);
    const r18 = names('resnet18');
    expect(r18).toContain('conv1.weight');
    expect(r18).toContain('layer2.0.downsample.0.weight');
    expect(r18).toContain('layer4.1.bn2.running_var');
    expect(r18).toContain('fc.bias');
    const mb = names('mobilenet_v2');
    expect(mb).toContain('features.0.0.weight');
    expect(mb).toContain('features.1.conv.1.weight');
    expect(mb).toContain('features.18.1.bias');
    expect(mb).toContain('classifier.1.weight');
    const vit = names('vit_b16');
    expect(vit).toContain('class_token');
    expect(vit).toContain('encoder.pos_embedding');
    expect(vit).toContain('encoder.layers.encoder_layer_11.mlp.3.weight');
    expect(vit).toContain('heads.head.weight');
  });
});

describe('summary tables (golden)', () => {
  for (const [name] of REFERENCE) {
    it(name, () => {
      const r = compileFile(`examples/${name}.mdl`);
      const s = summarize(r.graph!, bindDims(r.graph!, 1));
      expectGolden(`test/golden/summary/${name}.txt`, formatSummary(s) + '\n');
    });
  }
});

describe('every example and stdlib file passes check', () => {
  const files = [
    ...readdirSync('examples')
      .filter((f) => f.endsWith('.mdl'))
      .map((f) => `examples/${f}`),
    ...readdirSync('stdlib')
      .filter((f) => f.endsWith('.mdl'))
      .map((f) => `stdlib/${f}`),
  ];
  for (const f of files) {
    it(f, () => {
      const r = checkPath(f);
      expect(render(r)).toBe('');
    });
  }
});
