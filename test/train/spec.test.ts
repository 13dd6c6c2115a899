// `train` sections: settings with defaults, located errors, freeze patterns, and the spec
// driving the training step that autodiff builds.
import { describe, expect, it } from 'vitest';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { compileTraining } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { globToRegExp } from '../../compiler/ir/layer-glob.js';
import { compileText, memoryHost, render } from '../helpers/compile.js';

const MODEL = `model net(x: Tensor[B, 1, 28, 28], width: int = 16) {
  h = relu(conv2d(x, width, 3, padding=1) as "features.0")
  h = relu(conv2d(h, width, 3, padding=1) as "features.1")
  return linear(flatten(global_avgpool(h)), 10) as "classifier"
}
`;

function compile(section: string) {
  const text = MODEL + section;
  const r = compileTraining({ path: 't.mdl', text }, memoryHost({}));
  return { ...r, rendered: renderAll(r.diagnostics, r.sources) };
}

describe('train sections', () => {
  it('give the settings, with defaults for what they leave out', () => {
    const r = compile(`train run {
  model = net(width=8)
  data = "fashion-mnist"
  loss = cross_entropy(label_smoothing=0.1)
  optimizer = adamw(lr=3e-4, betas=(0.9, 0.95))
  schedule = step(every=2, gamma=0.5, warmup=10)
  epochs = 4
}`);
    expect(r.rendered).toBe('');
    const s = r.spec!;
    expect(s).toMatchObject({ name: 'run', data: 'fashion-mnist', lr: 3e-4, batch: 64, epochs: 4, seed: 0 });
    expect(s.loss).toEqual({ kind: 'cross_entropy', labelSmoothing: 0.1 });
    expect(s.optimizer).toEqual({ kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 });
    expect(s.schedule).toEqual({ kind: 'step', warmup: 10, every: 2, gamma: 0.5 });
    // the model was elaborated with the section's arguments
    expect(r.graph!.params.find((p) => p.name === 'features.0.weight')!.shape).toEqual([8, 1, 3, 3]);
  });

  it('freeze patterns select parameters by layer name, and frozen parameters get no gradient', () => {
    const r = compile(`train ft {
  model = net()
  freeze "features.*"
}`);
    expect(r.rendered).toBe('');
    expect(r.frozen).toEqual(['features.0.bias', 'features.0.weight', 'features.1.bias', 'features.1.weight']);
    const step = buildTrainStep(r.graph!, {
      loss: { kind: 'cross_entropy' },
      optimizer: r.spec!.optimizer,
      frozen: r.frozen,
    });
    expect([...step.grads.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight']);
  });

  it('report mistakes at their place, with suggestions', () => {
    expect(compile('train t {\n  model = net()\n  optimiser = sgd(lr=0.1)\n}').rendered).toContain(
      't.mdl:8:3: error MDL3001: a train section has no setting `optimiser`',
    );
    expect(compile('train t {\n  model = net()\n  optimizer = sgd(lr=0.1, momentun=0.9)\n}').rendered).toMatch(
      /error MDL3001: sgd\(\) has no argument `momentun`[\s\S]*did you mean `momentum`\?/,
    );
    expect(compile('train t {\n  model = net()\n  optimizer = cosine()\n}').rendered).toContain(
      '`optimizer` must be one of sgd(…), adam(…), adamw(…), got cosine()',
    );
    expect(compile('train t {\n  model = net()\n  batch = 0\n}').rendered).toContain(
      '`batch` must be an int ≥ 1, got 0',
    );
    expect(compile('train t {\n  model = net()\n  freeze "feature.*"\n}').rendered).toMatch(
      /error MDL2001: freeze "feature.\*" matches no layer with parameters/,
    );
    expect(compile('train t {\n  model = net()\n  backward "classifer" = lora(rank=4)\n}').rendered).toMatch(
      /error MDL3013: backward "classifer" = lora\(rank=4\) matches no layer with parameters[\s\S]*did you mean `classifier`\?/,
    );
    expect(compile('train t {\n  optimizer = sgd(lr=0.1)\n}').rendered).toContain('train section `t` names no model');
    expect(render(compileText('model m2(x: Tensor[B, 4]) { freeze "a"\n return x }'))).toContain(
      '`freeze` is allowed only in a `train` section',
    );
  });
});

describe('layer-name globs', () => {
  it('* stays within a name part, ** crosses parts', () => {
    expect(globToRegExp('layer4.*.conv*').test('layer4.1.conv2')).toBe(true);
    expect(globToRegExp('layer4.*.conv*').test('layer4.1.bn.conv2')).toBe(false);
    expect(globToRegExp('layer4.**').test('layer4.1.bn.conv2')).toBe(true);
    expect(globToRegExp('fc').test('fc1')).toBe(false);
  });
});

describe('backward rules', () => {
  const plan = (rules: string) => {
    const r = compile(`train t {\n  model = net()\n${rules}\n}`);
    expect(r.rendered).toBe('');
    return Object.fromEntries([...r.rewrites].map(([k, a]) => [k, a.strategy.kind]));
  };
  it('select layers by name glob, by op, by op within a glob, and by lists; later rules win', () => {
    expect(plan('  backward "features.*" = grad_filter(patch=2)')).toEqual({
      'features.0': 'grad_filter',
      'features.1': 'grad_filter',
    });
    expect(plan('  backward conv2d = grad_filter(patch=2)\n  backward "features.1" = exact()')).toEqual({
      'features.0': 'grad_filter',
    });
    expect(plan('  backward (conv2d, "features.1") = grad_filter()')).toEqual({ 'features.1': 'grad_filter' });
    expect(plan('  backward ["features.0", "classifier"] = ntk_linear()')).toEqual({
      'features.0': 'ntk_linear',
      classifier: 'ntk_linear',
    });
    expect(plan('  backward linear = lora(rank=2)')).toEqual({ classifier: 'lora' });
  });
  it('are located errors when they select nothing, cannot handle a layer, conflict or are malformed', () => {
    const e = (rules: string) => compile(`train t {\n  model = net()\n${rules}\n}`).rendered;
    expect(e('  backward maxpool2d = grad_filter()')).toMatch(
      /MDL3013: backward maxpool2d = grad_filter\(\) matches no layer with parameters[\s\S]*ops conv2d, linear/,
    );
    expect(e('  backward "features.0" = lbp_wht(order=2)')).toContain(
      'MDL3014: lbp_wht(order=2, patch=8) cannot compute the gradients of layer `features.0` (conv2d): only 1×1 convolutions with stride 1, no padding and groups=1 are pointwise',
    );
    expect(e('  backward "classifier" = lbp_wht()')).toContain('its input [B, 16] is not a token sequence [B, N, C]');
    expect(e('  backward "features.0" = lora(rank=9)')).toContain(
      'MDL3014: lora(rank=9) cannot compute the gradients of layer `features.0` (conv2d): rank 9 is not below min(in, out) = 9',
    );
    expect(e('  backward "classifier" = lora(rank=10)')).toContain('rank 10 is not below min(in, out) = 10');
    expect(e('  backward "classifier" = ntk_linear()\n  backward "features.0" = grad_filter()')).toMatch(
      /MDL3015: ntk_linear linearises the whole model and cannot be combined with grad_filter\(patch=2\)[\s\S]*ntk_linear is chosen here/,
    );
    expect(e('  backward "features.0" = grad_filter(radius=2)')).toMatch(
      /MDL3001: grad_filter\(\) has no argument `radius`/,
    );
    expect(e('  backward "features.0" = lbp_wht(patch=6)')).toContain('lbp_wht(): patch must be a power of two');
    expect(e('  backward "features.0" = sgd()')).toContain(
      'a backward strategy must be one of exact(…), grad_filter(…), lbp_wht(…), lora(…), ntk_linear(…), got sgd()',
    );
    expect(e('  backward 3 = exact()')).toContain('a backward rule selects layers by a name glob');
  });
});
