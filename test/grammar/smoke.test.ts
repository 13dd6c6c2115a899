import { describe, expect, it } from 'vitest';
import type { Definition } from '../../grammar/ast.js';
import { parse } from '../../grammar/parse.js';

describe('parse smoke', () => {
  it('parses a model', () => {
    const r = parse({
      path: 'a.mdl',
      text: `
import "std/resnet" as r
stages = [(64, 2, 1), (128, 2, 2),]
# hi
model m(x: Tensor[B, 3, 32, 32], n: int = 10) {
  y = conv2d(x, 64, 3, padding=1) as "conv{1}"
  for i, (c, n2, s) in enumerate(stages) { y = relu(y) }
  if n > 3 { z = y } else if n == 2 { z = y } else { z = -y }
  w = y[:, 0, ::2] @ z ** 2
  k = if n > 1 { 2 } else { 3 }
  assert n > 0, "positive"
  return y, (z,)
}`,
    });
    expect(r.diagnostics).toEqual([]);
    expect(JSON.stringify(r.program)).toContain('conv');
  });
  it('reports several errors', () => {
    const r = parse({ path: 'a.mdl', text: `model m(x) {\n  y = conv2d(x, 3\n  z = relu(y))\n  return $\n}` });
    expect(r.diagnostics.length).toBeGreaterThan(1);
  });
});

describe('train and space sections', () => {
  it('parse into definitions with freeze and backward rules', () => {
    const r = parse({
      path: 'a.mdl',
      text: `model m(x: Tensor[B, 4]) { return linear(x, 2) }
train t {
  model = m()
  optimizer = sgd(lr=0.1, momentum=0.9)
  freeze "features.*", "fc"
  backward "layer4.*.conv*" = lbp_wht(order=4)
  backward conv2d = grad_filter(2)
}
space s { model = m() }`,
    });
    expect(r.diagnostics).toEqual([]);
    const [, t, s] = r.program!.items;
    expect(t).toMatchObject({ kind: 'train', name: 't', params: [] });
    expect(s).toMatchObject({ kind: 'space', name: 's' });
    const kinds = (t as Definition).body.map((st) => st.kind);
    expect(kinds).toEqual(['assign', 'assign', 'freeze', 'backward', 'backward']);
  });
});
