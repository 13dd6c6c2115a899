// Shape rules and errors of the ops added for the model zoo, through the language.
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { summarize } from '../../compiler/analysis/summary.js';
import { run } from '../../compiler/interp/interpreter.js';
import { tensor } from '../../compiler/reference/tensor.js';

function compile(body: string, input = 'Tensor[2, 8, 14, 14]') {
  return compileModel({ path: 'm.mdl', text: `model m(x: ${input}) {\n${body}\n}\n` }, nodeHost);
}

function outShape(body: string, input?: string): readonly (number | string)[] {
  const r = compile(body, input);
  expect(r.diagnostics, body).toEqual([]);
  const g = r.graph!;
  return g.values[g.outputs[0]!.value]!.type.shape;
}

function error(body: string, input?: string): { code: string; message: string; hint?: string | undefined } {
  const r = compile(body, input);
  expect(r.graph).toBeUndefined();
  const d = r.diagnostics[0]!;
  return { code: d.code, message: d.message, hint: d.hint };
}

describe('adaptive pooling', () => {
  it('pools to the size asked for when it divides the input; counts as the pooling it is', () => {
    expect(outShape('  return adaptive_avgpool2d(x, 7)')).toEqual([2, 8, 7, 7]);
    expect(outShape('  return adaptive_maxpool2d(x, (1, 2))')).toEqual([2, 8, 1, 2]);
    const r = compile('  return adaptive_avgpool2d(x, 7)');
    expect(summarize(r.graph!, { B: 1 }).flops).toBe(2 * 8 * 7 * 7 * 4);
  });

  it('a size that does not divide the input is MDL4010, a non-positive one MDL3006', () => {
    const e = error('  return adaptive_avgpool2d(x, 5)');
    expect(e.code).toBe('MDL4010');
    expect(e.message).toContain('the output size 5×5 does not divide the input');
    expect(error('  return adaptive_maxpool2d(x, 0)').code).toBe('MDL3006');
    expect(error('  return adaptive_maxpool2d(x, 2)', 'Tensor[2, 8, 14]').code).toBe('MDL4008');
  });
});

describe('elementwise functions', () => {
  it('pow needs a positive exponent, clamp a bound', () => {
    expect(error('  return pow(x, -1)').code).toBe('MDL3006');
    expect(error('  return pow(x, 0)').message).toContain('the exponent must be positive');
    expect(error('  return clamp(x)').message).toContain('give at least one bound');
  });

  it('where broadcasts its three inputs; a and b share a dtype', () => {
    expect(outShape('  return where(x[:, :1], x, 0.0 * x[0])')).toEqual([2, 8, 14, 14]);
    expect(error('  return where(x, x, x[:, :3])').code).toBe('MDL4002');
  });

  it('sqrt and abs are still the builtins on numbers', () => {
    expect(outShape('  assert sqrt(16) == 4.0 and abs(-3) == 3\n  return sqrt(abs(x))')).toEqual([2, 8, 14, 14]);
  });
});

describe('conv_transpose2d', () => {
  it("has torch's output size, weight layout [in, out/groups, kh, kw] and MACs", () => {
    expect(outShape('  return conv_transpose2d(x, 4, 3, stride=2, padding=1, output_padding=1)')).toEqual([
      2, 4, 28, 28,
    ]);
    const r = compile('  return conv_transpose2d(x, 4, 2, stride=2, groups=2) as "up"');
    expect(r.graph!.params.map((p) => [p.name, p.shape])).toEqual([
      ['up.weight', [8, 2, 2, 2]],
      ['up.bias', [4]],
    ]);
    // every input element meets (out/groups)·kh·kw weights
    expect(summarize(r.graph!, { B: 1 }).macs).toBe(2 * 8 * 14 * 14 * 2 * 2 * 2);
  });

  it('an output_padding not below the stride, and channels not divisible by groups, are errors', () => {
    expect(error('  return conv_transpose2d(x, 4, 3, stride=2, output_padding=2)').message).toContain(
      'must be smaller than the stride',
    );
    expect(error('  return conv_transpose2d(x, 3, 3, groups=2)').code).toBe('MDL4005');
  });
});

describe('upsample', () => {
  it('scales H and W by integers; align_corners is for bilinear only', () => {
    expect(outShape('  return upsample(x, 2)')).toEqual([2, 8, 28, 28]);
    expect(outShape('  return upsample(x, (3, 1), mode="bilinear", align_corners=true)')).toEqual([2, 8, 42, 14]);
    expect(error('  return upsample(x, 2, align_corners=true)').message).toContain(
      'align_corners applies to mode="bilinear" only',
    );
    expect(error('  return upsample(x, 2, mode="bicubic")').code).toBe('MDL3006');
    expect(error('  return upsample(x, 0)').code).toBe('MDL3006');
  });
});

describe('groupnorm', () => {
  it("keeps the shape, owns torch's weight and bias [C], and needs groups to divide C", () => {
    const r = compile('  return groupnorm(x, 4) as "gn"');
    expect(r.graph!.params.map((p) => [p.name, p.shape])).toEqual([
      ['gn.weight', [8]],
      ['gn.bias', [8]],
    ]);
    expect(outShape('  return groupnorm(x, 2, affine=false)')).toEqual([2, 8, 14, 14]);
    expect(error('  return groupnorm(x, 3)').code).toBe('MDL4005');
  });
});

describe('token_mask, gather and embedding', () => {
  const src =
    'model m(x: Tensor[4, 10, 3]) {\n  a, ra, ma = token_mask(x, 4, key="shared") as "a"\n' +
    '  b, rb, mb = token_mask(x, 4, key="shared") as "b"\n  c, rc, mc = token_mask(x, 4) as "c"\n' +
    '  kept = gather(x, a)\n  back = gather(concat([kept, zero(x[:, 4:])], axis=1), ra)\n' +
    '  return a, ra, ma, b, c, kept, back\n}\n';
  const runAt = (step: number) => {
    const g = compileModel({ path: 'm.mdl', text: src }, nodeHost).graph!;
    const x = tensor(
      [4, 10, 3],
      Array.from({ length: 120 }, (_, i) => i + 1),
      'f64',
    );
    return run(g, { inputs: { x }, params: new Map(), training: true, seed: 11, step }).outputs;
  };

  it('keeps `keep` distinct tokens per sample; restore_ids puts them back; the mask marks the others', () => {
    const o = runAt(0);
    const ids = [...o.get('a')!.data];
    const restore = [...o.get('ra')!.data];
    const mask = [...o.get('ma')!.data];
    for (let n = 0; n < 4; n++) {
      const mine = ids.slice(4 * n, 4 * n + 4);
      expect(new Set(mine).size).toBe(4);
      const r = restore.slice(10 * n, 10 * n + 10);
      expect([...r].sort((p, q) => p - q)).toEqual([...Array(10).keys()]); // a permutation
      mine.forEach((t, j) => expect(r[t]).toBe(j)); // kept token t is drawn j-th
      expect(mask.slice(10 * n, 10 * n + 10)).toEqual(r.map((k) => (k < 4 ? 0 : 1)));
    }
    // gathering the kept tokens then restoring the order gives x where kept, 0 elsewhere
    const x = Array.from({ length: 120 }, (_, i) => i + 1);
    const back = [...o.get('back')!.data];
    back.forEach((v, i) => expect(v).toBe(mask[Math.floor(i / 3)] === 0 ? x[i] : 0));
  });

  it('the same key draws the same subset; another key, or another step, another one', () => {
    const o = runAt(0);
    expect([...o.get('b')!.data]).toEqual([...o.get('a')!.data]);
    expect([...o.get('c')!.data]).not.toEqual([...o.get('a')!.data]);
    expect([...runAt(1).get('a')!.data]).not.toEqual([...o.get('a')!.data]);
  });

  it('shape errors', () => {
    expect(error('  ids, r, m = token_mask(x, 20)\n  return m', 'Tensor[2, 10, 3]').code).toBe('MDL3006');
    expect(error('  return gather(x, x)', 'Tensor[2, 10, 3]').code).toBe('MDL4009');
    expect(error('  return embedding(x, 10, 4)', 'Tensor[2, 10]').code).toBe('MDL4009');
  });
});
