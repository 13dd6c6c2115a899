// The standard library's blocks for the model zoo: activation() offers every activation op,
// and the blocks lay out their layers as torchvision does, so parameter names match.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../compiler/ops/pointwise/index.js';
import type { Activation } from '../../compiler/ops/pointwise/fn.js';
import { compileText, render } from '../helpers/compile.js';

const params = (src: string) => {
  const r = compileText(src);
  expect(render(r)).toBe('');
  return r.graph!.params.filter((p) => !p.buffer).map((p) => `${p.name} [${p.shape.join(', ')}]`);
};

describe('std/layers', () => {
  it('activation() takes every activation op by name, and "none"', () => {
    const names = Object.values(ACTIVATIONS as Readonly<Record<string, Activation>>)
      .filter((a) => a.kind !== 'elementwise')
      .map((a) => a.name);
    expect(names.length).toBeGreaterThan(10);
    for (const act of [...names, 'none']) {
      const r = compileText(`import "std/layers"\nmodel m(x: Tensor[B, 8]) {\n  return activation(x, "${act}")\n}\n`);
      expect(render(r), act).toBe('');
      expect(r.graph!.nodes.map((n) => n.op)).toEqual(act === 'none' ? [] : [act]);
    }
    const bad = compileText('import "std/layers"\nmodel m(x: Tensor[B, 8]) {\n  return activation(x, "swish")\n}\n');
    expect(render(bad)).toContain('unknown activation "swish"');
  });

  it("squeeze_excitation has torchvision's fc1 and fc2", () => {
    expect(
      params(
        'import "std/layers"\nmodel m(x: Tensor[B, 16, 4, 4]) {\n  return squeeze_excitation(x, 4, act="silu") as "se"\n}\n',
      ),
    ).toEqual(['se.fc1.weight [4, 16, 1, 1]', 'se.fc1.bias [4]', 'se.fc2.weight [16, 4, 1, 1]', 'se.fc2.bias [16]']);
  });
});

describe('std/unet', () => {
  it('a down and an up step keep the resolution they restore; the skip connection is concatenated', () => {
    const r = compileText(
      'import "std/unet"\nmodel m(x: Tensor[B, 8, 8, 8]) {\n  d = unet_down(x, 16) as "down"\n  return unet_up(d, x, 8) as "up"\n}\n',
    );
    expect(render(r)).toBe('');
    const g = r.graph!;
    expect(g.values[g.outputs[0]!.value]!.type.shape).toEqual(['B', 8, 8, 8]);
    expect(g.params.find((p) => p.name === 'up.up.weight')!.shape).toEqual([16, 8, 2, 2]);
    expect(g.params.find((p) => p.name === 'up.conv.0.weight')!.shape).toEqual([8, 16, 3, 3]);
  });
});
