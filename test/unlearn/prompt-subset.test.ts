// Fast-NTK's subset for ViTs with prompts: the default picks a model's prompt tokens (tensors
// declared with `param(…) as "prompt…"`) when it has some and every batchnorm otherwise, a glob
// selects declared tensors beside layers, and the update on a tiny prompted ViT (float64
// interpreter, both Jacobian modes) moves the prompt tokens and nothing else.
import { describe, expect, it } from 'vitest';
import { ReferenceProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { fastNtk } from '../../compiler/drivers/unlearn/fast-ntk.js';
import { initParams } from '../../compiler/reference/init.js';
import { DEFAULT_SUBSET, PROMPT_SUBSET, defaultSubset, parameterSubset } from '../../compiler/unlearn/subset.js';
import { compileFile, graphOf } from '../helpers/compile.js';

const TINY = `
import "std/attention"
model tiny_vpt(x: Tensor[B, 1, 8, 8]) {
  tokens = patch_embed(x, 8, 4) as "patch_embed"
  cls = expand(param([1, 1, 8], init="normal", std=0.5) as "cls_token", [B, -1, -1])
  h = concat([cls, tokens], axis=1)
  p = expand(param([1, 2, 8], init="normal", std=0.5) as "prompt", [B, -1, -1])
  h = concat([h[:, :1], p, h[:, 1:]], axis=1)
  h = encoder_block(h, 2, 16) as "blocks.0"
  h = layernorm(h, eps=1e-6) as "norm"
  return linear(h[:, 0], 3) as "head"
}
`;

describe('the default Fast-NTK subset', () => {
  it('is the prompt tokens of a ViT with prompts, and the batchnorms of a CNN', () => {
    const vit = compileFile('examples/vit_prompt_fmnist.mdl').graph!;
    expect(defaultSubset(vit)).toBe(PROMPT_SUBSET);
    expect(parameterSubset(vit, defaultSubset(vit))).toEqual([{ name: 'prompt', shape: [1, 4, 32], size: 128 }]);
    const cnn = compileFile('examples/resnet8_fmnist.mdl').graph!;
    expect(defaultSubset(cnn)).toBe(DEFAULT_SUBSET);
    expect(parameterSubset(cnn, defaultSubset(cnn)).every((e) => /^.*bn\d*\.(weight|bias)$/.test(e.name))).toBe(true);
    // A ViT without prompts has neither: the default selects nothing there (MDL8601 in the CLI).
    const plain = compileFile('examples/vit_ti16.mdl').graph!;
    expect(defaultSubset(plain)).toBe(DEFAULT_SUBSET);
    expect(parameterSubset(plain, defaultSubset(plain))).toEqual([]);
  });

  it('a glob selects declared tensors beside the layers it names', () => {
    const g = graphOf(TINY);
    const names = parameterSubset(g, {
      kind: 'any',
      items: [
        { kind: 'glob', pattern: 'prompt' },
        { kind: 'glob', pattern: 'head' },
      ],
    }).map((e) => e.name);
    expect(names).toEqual(['prompt', 'head.weight', 'head.bias']);
    // The prompt selector takes the prompt tensor only, not the other declared ones (cls_token).
    expect(parameterSubset(g, PROMPT_SUBSET).map((e) => e.name)).toEqual(['prompt']);
  });
});

describe('Fast-NTK on a ViT with prompts', () => {
  for (const mode of ['forward', 'reverse'] as const)
    it(`moves the prompt tokens and nothing else (${mode} mode)`, async () => {
      const g = graphOf(TINY);
      const params = new Map([...initParams(g, 2)].map(([k, t]) => [k, Float64Array.from(t.data)]));
      const n = 9;
      let s = 11;
      const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
      const res = await fastNtk({
        graph: g,
        backend: new ReferenceProxyBackend(),
        params,
        subset: parameterSubset(g, defaultSubset(g)),
        x: Float32Array.from({ length: n * 64 }, () => rnd() * 2 - 1),
        labels: Int32Array.from({ length: n }, (_, i) => i % 3),
        sampleShape: [1, 8, 8],
        classes: 3,
        forget: new Set([0, 3, 6]),
        lambda: 1e-3,
        scale: 1,
        loss: 'cross_entropy',
        form: 'auto',
        mode,
        batch: 4,
      });
      expect(res.mode).toBe(mode);
      expect(res.subsetSize).toBe(16);
      expect(res.change).toBeGreaterThan(1e-6);
      for (const [k, v] of params) {
        const got = res.params.get(k)!;
        const same = got.every((x, i) => x === v[i]);
        expect(same, k).toBe(k !== 'prompt');
      }
    });
});
