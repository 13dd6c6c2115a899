// The examples with a torchvision counterpart against torchvision 0.14 itself
// (test/fixtures/torch/models.json, written by test/fixtures/torch/generate.py): the same
// parameters and buffers by name and shape as its state_dict (BatchNorm's num_batches_tracked
// aside, a step counter mdl does not keep), so its weights exported to safetensors load with
// `--init`; and the same parameter count and MACs at batch 1 (hook-counted, attention included).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { FIXTURES, readJson } from '../autodiff/util.js';
import { compileFile, render } from '../helpers/compile.js';

interface Reference {
  readonly params: number;
  readonly macs: number;
  readonly state_dict: [string, number[]][];
}

const MODELS = readJson<Record<string, Reference>>(join(FIXTURES, 'torch', 'models.json'));

/** The examples that mirror a torchvision model, by the fixture's name for it. */
const EXAMPLES: Record<string, string> = {
  resnet18: 'resnet18',
  resnet34: 'resnet34',
  resnet50: 'resnet50',
  mobilenet_v2: 'mobilenet_v2',
  vit_b16: 'vit_b16',
  vit_s16: 'vit_s16',
  vgg16: 'vgg16',
  efficientnet_b0: 'efficientnet_b0',
  mobilenet_v3_large: 'mobilenet_v3_large',
  mobilenet_v3_small: 'mobilenet_v3_small',
};

const sorted = (xs: [string, readonly number[]][]) =>
  [...xs].map(([n, s]) => `${n} [${s.join(', ')}]`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('examples against torchvision', () => {
  for (const [model, file] of Object.entries(EXAMPLES))
    it(`${file}: state_dict names and shapes, params and MACs of torchvision's ${model}`, () => {
      const ref = MODELS[model]!;
      const r = compileFile(`examples/${file}.mdl`);
      expect(render(r)).toBe('');
      const g = r.graph!;
      expect(sorted(g.params.map((p) => [p.name, p.shape]))).toEqual(sorted(ref.state_dict));
      const s = summarize(g, bindDims(g, 1));
      expect(s.params.total).toBe(ref.params);
      expect(s.macs).toBe(ref.macs);
    });
});
