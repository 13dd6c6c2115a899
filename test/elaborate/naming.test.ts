import { describe, expect, it } from 'vitest';
import { compileText, graphOf, render } from '../helpers/compile.js';

const names = (src: string) => graphOf(src).nodes.map((n) => n.name);

describe('hierarchical layer names', () => {
  it('come from bound variables, then op names, deduplicated with suffixes', () => {
    expect(
      names(`model m(x: Tensor[B, 4]) {
        h = linear(x, 8)
        h = relu(h)
        h = relu(linear(h, 8))
        return h
      }`),
    ).toEqual(['h', 'h_1', 'linear', 'h_2']);
  });

  it('explicit names with interpolation, nested under block-call names', () => {
    const g = graphOf(`
      block unit(x: Tensor, w: int) {
        y = linear(x, w) as "fc"
        return relu(y)
      }
      model m(x: Tensor[B, 4]) {
        h = x
        for i in range(2) {
          for j in range(2) { h = unit(h, 4 * (i + 1)) as "stage{i + 1}.{j}" }
        }
        return h
      }`);
    expect(g.params.map((p) => p.name)).toEqual([
      'stage1.0.fc.weight',
      'stage1.0.fc.bias',
      'stage1.1.fc.weight',
      'stage1.1.fc.bias',
      'stage2.0.fc.weight',
      'stage2.0.fc.bias',
      'stage2.1.fc.weight',
      'stage2.1.fc.bias',
    ]);
    expect(g.nodes.find((n) => n.name === 'stage2.1.relu')!.scope).toEqual(['stage2.1']);
  });

  it('`as ""` inlines a block into the caller\'s names', () => {
    expect(
      names(`
      block stem(x: Tensor) { return relu(conv2d(x, 4, 3) as "conv1") }
      model m(x: Tensor[B, 3, 8, 8]) { h = stem(x) as "" 
        return h }`),
    ).toEqual(['conv1', 'relu']);
  });

  it('a block that is one parameter-free op is named by its call', () => {
    expect(
      names(`
      block act(x: Tensor, kind: string) { if kind == "relu" { return relu(x) } return sigmoid(x) }
      model m(x: Tensor[B, 4]) { return act(linear(x, 4) as "0", "relu") as "1" }`),
    ).toEqual(['0', '1']);
  });

  it('a duplicate explicit name is an error that points at the first use', () => {
    const r = compileText(`model m(x: Tensor[B, 4]) {
      a = linear(x, 4) as "fc"
      b = linear(a, 4) as "fc"
      return b
    }`);
    expect(r.graph).toBeUndefined();
    expect(render(r)).toContain('error MDL2004: layer name `fc` is already used');
    expect(render(r)).toContain('note: test.mdl:2:');
  });
});

describe('weight sharing', () => {
  const src = (second: string) => `model m(x: Tensor[B, 16], y: Tensor[B, 16]) {
      a = linear(x, 8) as "enc"
      b = ${second}
      return a + b
    }`;

  it('a shared layer reuses the parameters, counted once', () => {
    const g = graphOf(src('linear(y, 8, share="enc")'));
    expect(g.params.map((p) => p.name)).toEqual(['enc.weight', 'enc.bias']);
    const [n1, n2] = g.nodes.filter((n) => n.op === 'linear');
    expect(n2!.inputs.slice(1)).toEqual(n1!.inputs.slice(1));
  });

  it('sharing between layers of different shapes is refused', () => {
    const r = compileText(src('linear(y, 4, share="enc")'));
    expect(render(r)).toContain('error MDL3010');
  });

  it('sharing with an unknown layer is refused with a suggestion', () => {
    const r = compileText(src('linear(y, 8, share="enx")'));
    expect(render(r)).toMatch(/MDL2007[\s\S]*did you mean `enc`/);
  });
});
