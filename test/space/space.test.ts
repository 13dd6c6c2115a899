// Search spaces in the language: choice()/choices() and `space` sections; candidates as a
// stream (index ↔ assignment), seeded samples, deterministic shards; and the errors users meet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { candidate, digitsOf, indexOf, indices, sharded } from '../../compiler/space/space.js';
import { space, spaceText } from './helpers.js';

const TOY = `
block widen(x: Tensor, k: int) { return relu(conv2d(x, 4 * k, 3, padding=1)) }
block narrow(x: Tensor, k: int) { return conv2d(x, 2, 1) }
model net(x: Tensor[B, 3, 8, 8], width: int = 4, depth: int = 1, act: string = "relu", cell: any = widen) {
  h = x
  for i in range(depth) {
    h = conv2d(h, width, 3, padding=1) as "conv{i}"
    h = if act == "relu" { relu(h) } else { tanh(h) }
  }
  h = cell(h, 2) as "cell"
  return linear(flatten(global_avgpool(h)), 10) as "fc"
}
space toy {
  w = choice([8, 16, 32])
  model = net(width=w, depth=choice(range(1, 3)), act=choice("relu", "tanh"), cell=choice([widen, narrow]))
  name = "w{w}"
}`;

describe('space sections and choices', () => {
  const r = spaceText(TOY);
  const sp = r.space!;

  it('every evaluated choice is a dimension; the space is their product', () => {
    expect(renderAll(r.diagnostics, r.sources)).toBe('');
    expect(sp.radix).toEqual([3, 2, 2, 2]);
    expect(sp.size).toBe(24n);
    expect(sp.choices.map((c) => c.span.line)).toEqual([14, 15, 15, 15]);
  });

  it('index 0 takes every first option; the last choice varies fastest', () => {
    const c0 = candidate(sp, 0n);
    expect(c0.name).toBe('w8');
    expect(c0.digits).toEqual([0, 0, 0, 0]);
    expect(c0.graph!.nodes.map((n) => n.name)).toEqual([
      'conv0',
      'h',
      'cell.conv2d',
      'cell.relu',
      'global_avgpool',
      'flatten',
      'fc',
    ]);
    expect(candidate(sp, 1n).digits).toEqual([0, 0, 0, 1]);
    const last = candidate(sp, 23n);
    expect(last.digits).toEqual([2, 1, 1, 1]);
    expect(last.name).toBe('w32');
    expect(last.graph!.nodes.map((n) => n.op)).toEqual([
      'conv2d',
      'tanh',
      'conv2d',
      'tanh',
      'conv2d',
      'global_avgpool',
      'flatten',
      'linear',
    ]);
  });

  it('a block chosen as a value is called like a block', () => {
    const narrow = candidate(sp, 1n).graph!;
    expect(narrow.params.map((p) => p.name)).toContain('cell.conv2d.weight');
    expect(narrow.values[narrow.nodes.find((n) => n.name === 'cell.conv2d')!.outputs[0]!]!.type.shape).toEqual([
      'B',
      2,
      8,
      8,
    ]);
  });

  it('without a name, a candidate is named by its options', () => {
    const t = spaceText(
      'model m(x: Tensor[B, 4], n: int = 2) { return linear(x, n) }\nspace s { model = m(n=choice([2, 3])) }',
    );
    expect(candidate(t.space!, 1n).name).toBe('3');
  });

  it('index ↔ assignment is a bijection (mixed radix)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        (radix, raw) => {
          const size = radix.reduce((s, r) => s * BigInt(r), 1n);
          const i = raw % size;
          const d = digitsOf(i, radix);
          expect(d.every((x, k) => x >= 0 && x < radix[k]!)).toBe(true);
          expect(indexOf(d, radix)).toBe(i);
        },
      ),
    );
  });

  it('spaces beyond 2^53 candidates are indexed exactly (bigint)', () => {
    const big = spaceText(
      'model m(x: Tensor[B, 4], ws: list = [1]) { return linear(x, ws[0]) }\nspace s { model = m(ws=choices(range(1, 10), 20)) }',
    ).space!;
    expect(big.size).toBe(9n ** 20n);
    const i = 9n ** 20n - 2n;
    expect(candidate(big, i).digits).toEqual([...Array(19).fill(8), 7]);
  });
});

describe('streams: samples and shards', () => {
  it('a seeded sample is reproducible, distinct and in range; another seed differs', () => {
    const a = [...indices(15_625n, 200, 7)];
    expect([...indices(15_625n, 200, 7)]).toEqual(a);
    expect(new Set(a).size).toBe(200);
    expect(a.every((i) => i >= 0n && i < 15_625n)).toBe(true);
    expect([...indices(15_625n, 200, 8)]).not.toEqual(a);
    // Asking for more than the space holds gives the whole space, in order.
    expect([...indices(5n, 9, 1)]).toEqual([0n, 1n, 2n, 3n, 4n]);
  });

  it('shards partition the stream, whatever the number of shards', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 60 }), (of, n) => {
        const all = [...indices(BigInt(n))];
        const parts = Array.from({ length: of }, (_, s) => [...sharded(indices(BigInt(n)), s, of)]);
        expect(parts.flat().sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(all);
        expect(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length))).toBeLessThanOrEqual(
          1,
        );
      }),
    );
  });

  it('the example spaces open, and their first candidates are the reference networks', () => {
    expect(space('examples/mbv2_space.mdl').size).toBe(27n ** 5n * 18n);
    expect(space('examples/flash_space.mdl').size).toBe(4000n ** 3n);
    const mb = candidate(space('examples/mbv2_space.mdl'), 0n);
    expect(mb.name).toBe('e3k3d1-e3k3d2-e3k3d3-e3k3d2-e3k3d2-e3k3d1');
    expect(mb.graph).toBeDefined();
  });
});

describe('errors', () => {
  const errors = (text: string) => {
    const r = spaceText(text);
    return renderAll(r.diagnostics, r.sources);
  };

  it('choice() outside a space', () => {
    const r = spaceText('model m(x: Tensor[B, 4]) { return linear(x, choice([2, 3])) }\nspace s { model = m() }');
    expect(renderAll(r.diagnostics, r.sources)).toBe('');
    // Inside the space's model it is fine; in a plain compile it is an error with a hint.
    const plain = errors(
      'x = choice([1, 2])\nmodel m(x: Tensor[B, 4]) { return linear(x, 2) }\nspace s { model = m() }',
    );
    expect(plain).toContain('error MDL3012: choice() is allowed only while a search space is instantiated');
    expect(plain).toContain('hint: put choices in a `space NAME');
  });

  it('a space without a model, a model that is not one, a file without spaces', () => {
    expect(errors('model m(x: Tensor[B, 4]) { return x }\nspace s { a = 1 }')).toContain(
      'error MDL3002: space `s` names no model',
    );
    expect(
      errors('block b(x) { return x }\nmodel m(x: Tensor[B, 4]) { return x }\nspace s { model = b(1) }'),
    ).toContain('error MDL3004: a `space` or `train` section names its model as `model = net(arguments…)`');
    expect(errors('model m(x: Tensor[B, 4]) { return x }')).toContain('error MDL2006: test.mdl defines no space');
    expect(errors('model m(x: Tensor[B, 4], n: int = 1) { return x }\nspace s { model = m(k=2) }')).toContain(
      'error MDL3001: m() has no argument `k`',
    );
  });

  it('choices that depend on other choices are reported at the candidate that shows it', () => {
    const r = spaceText(`
model m(x: Tensor[B, 4], ws: list = [2]) { return linear(x, ws[0]) }
space s {
  n = choice([1, 2])
  ws = []
  for i in range(n) {
    ws = ws + [choice([2, 4])]
  }
  model = m(ws=ws)
}`);
    const sp = r.space!;
    expect(sp.radix).toEqual([2, 2]);
    const bad = candidate(sp, 2n);
    expect(bad.graph).toBeUndefined();
    expect(renderAll(bad.diagnostics, sp.sources)).toContain(
      'error MDL6001: the choices of space `s` depend on one another',
    );
  });

  it('a shape error in one candidate does not stop the others', () => {
    const sp = spaceText(
      'model m(x: Tensor[B, 3, 8, 8], k: int = 3) { return conv2d(x, 4, k) }\nspace s { model = m(k=choice([3, 9])) }',
    ).space!;
    expect(candidate(sp, 0n).graph).toBeDefined();
    const bad = candidate(sp, 1n);
    expect(bad.graph).toBeUndefined();
    expect(bad.diagnostics[0]!.code).toBe('MDL4004');
  });
});
