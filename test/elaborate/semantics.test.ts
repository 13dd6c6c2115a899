import { describe, expect, it } from 'vitest';
import { compileText, graphOf, render } from '../helpers/compile.js';

/** Evaluates a compile-time expression by asserting on it inside a model. */
function holds(cond: string): boolean {
  const r = compileText(`model m(x: Tensor[B, 2]) { assert ${cond}, "no" 
    return x }`);
  if (r.diagnostics.some((d) => d.code !== 'MDL6007')) throw new Error(render(r));
  return r.graph !== undefined;
}

describe('compile-time values follow Python', () => {
  it.each([
    ['7 // 2 == 3', true],
    ['-7 // 2 == -4', true],
    ['-7 % 3 == 2', true],
    ['7 / 2 == 3.5', true],
    ['2 ** 10 == 1024', true],
    ['-2 ** 2 == -4', true],
    ['(1, 2) + (3,) == (1, 2, 3)', true],
    ['[0] * 3 == [0, 0, 0]', true],
    ['"a" + "b" == "ab"', true],
    ['3 in [1, 2, 3]', true],
    ['not (1 < 2 and 2 < 1)', true],
    ['"x{1 + 1}y" == "x2y"', true],
    ['"{2.0}" == "2.0"', true],
    ['len(range(2, 11, 3)) == 3', true],
    ['max(3, 9, 4) == 9 and min([5, 2]) == 2', true],
    ['sum([64, 128, 256]) == 448', true],
    ['round(2.5) == 2 and round(3.5) == 4', true],
    ['(if 3 > 2 { "a" } else { "b" }) == "a"', true],
    ['[1, 2, 3, 4][1:3] == [2, 3] and [1, 2, 3][::-1] == [3, 2, 1]', true],
    ['1 == 2', false],
  ])('%s', (cond, expected) => {
    expect(holds(cond)).toBe(expected);
  });

  it('division by zero is reported at the operator', () => {
    const r = compileText('k = 1 // 0\nmodel m(x: Tensor[B, 2]) { return x }');
    expect(render(r)).toContain('test.mdl:1:7: error MDL6002: division by zero');
  });
});

describe('control flow unrolls at compile time', () => {
  it('for over a stage table with nested destructuring', () => {
    const g = graphOf(`
      stages = [(8, 2), (16, 3)]
      model m(x: Tensor[B, 4]) {
        h = x
        for i, (w, n) in enumerate(stages) {
          for j in range(n) { h = linear(h, w) as "s{i}.{j}" }
        }
        return h
      }`);
    expect(g.nodes.map((n) => n.name)).toEqual(['s0.0', 's0.1', 's1.0', 's1.1', 's1.2']);
    expect(g.values[g.outputs[0]!.value]!.type.shape).toEqual(['B', 16]);
  });

  it('if chooses one branch; return from inside a loop stops it', () => {
    const g = graphOf(`
      block pick(x: Tensor, k: int) {
        for i in range(10) { if i == k { return linear(x, i + 1) } }
        return x
      }
      model m(x: Tensor[B, 4]) { return pick(x, 3) }`);
    expect(g.nodes).toHaveLength(1);
    expect(g.values[g.outputs[0]!.value]!.type.shape).toEqual(['B', 4]);
  });

  it('a model may return several outputs, named after their variables', () => {
    const g = graphOf(`model m(x: Tensor[B, 4]) { feats = relu(x)
      logits = linear(feats, 3)
      return logits, feats }`);
    expect(g.outputs.map((o) => o.name)).toEqual(['logits', 'feats']);
  });
});

describe('tensors', () => {
  it('block parameter types bind dims by name and check ranks', () => {
    const g = graphOf(`
      block widen(x: Tensor[N, C, H, W]) { return conv2d(x, 2 * C, 1) }
      model m(x: Tensor[B, 3, 8, 8]) { return widen(x) }`);
    expect(g.values[g.outputs[0]!.value]!.type.shape).toEqual(['B', 6, 8, 8]);
    const r = compileText(`
      block f(x: Tensor[N, C, H, W]) { return x }
      model m(x: Tensor[B, 3]) { return f(x) }`);
    expect(render(r)).toContain('MDL4008');
  });

  it('scalars combine with tensors through broadcast constants', () => {
    const g = graphOf('model m(x: Tensor[B, 4]) { return x * 0.5 + 1 }');
    expect(g.nodes.map((n) => n.op)).toEqual(['constant', 'mul', 'constant', 'add']);
  });

  it('indexing slices and selects', () => {
    const g = graphOf('model m(x: Tensor[B, 3, 8, 8]) { return x[:, 0, ::2, 1:5] }');
    expect(g.values[g.outputs[0]!.value]!.type.shape).toEqual(['B', 4, 4]);
  });

  it('symbolic dims pass through but cannot be computed with', () => {
    const r = compileText('model m(x: Tensor[B, 4]) { n = x.shape[0] * 2 \n return x }');
    expect(render(r)).toContain('error MDL6001: the dimension B is symbolic');
    const r2 = compileText('model m(x: Tensor[B, 4]) { for i in range(x.shape[0]) { x = relu(x) } \n return x }');
    expect(render(r2)).toContain(
      'error MDL6001: range() needs a number known at compile time, but B is a symbolic dimension',
    );
  });
});

describe('error reporting', () => {
  it('reports independent errors together and does not cascade from poisoned values', () => {
    const r = compileText(`model m(x: Tensor[B, 4]) {
      a = linear(x, 8, strides=2)
      b = relu(a)
      c = b + linear(b, 3)
      d = conv2d(x, 4, 3)
      return d
    }`);
    const codes = r.diagnostics.map((d) => d.code);
    expect(codes).toEqual(['MDL3001', 'MDL4008']);
  });

  it('errors inside a block note the call site', () => {
    const r = compileText(`
block proj(x: Tensor, w: int) { return linear(x, w) + x }
model m(x: Tensor[B, 4]) { return proj(x, 8) as "p" }`);
    const out = render(r);
    expect(out).toContain('test.mdl:2:40: error MDL4002');
    expect(out).toContain('note: test.mdl:3:35: in block `proj` called here');
  });
});

describe('imports', () => {
  const lib = 'block twice(x: Tensor) { return relu(relu(x)) }\nwidth = 8\n';
  it('namespaced, selective and whole-module imports', () => {
    const files = { 'lib.mdl': lib };
    expect(
      graphOf('import "lib" as L\nmodel m(x: Tensor[B, 4]) { return linear(L.twice(x), L.width) }', {}, files).nodes,
    ).toHaveLength(3);
    expect(
      graphOf('from "lib" import twice\nmodel m(x: Tensor[B, 4]) { return twice(x) }', {}, files).nodes,
    ).toHaveLength(2);
    expect(
      graphOf('import "lib"\nmodel m(x: Tensor[B, 4]) { return linear(twice(x), width) }', {}, files).nodes,
    ).toHaveLength(3);
  });

  it('a missing import and an import cycle are located at the import', () => {
    const r = compileText('import "nope"\nmodel m(x: Tensor[B, 4]) { return x }');
    expect(render(r)).toContain('test.mdl:1:8: error MDL5001: cannot find `nope`');
    const c = compileText(
      'import "a"\nmodel m(x: Tensor[B, 4]) { return x }',
      {},
      { 'a.mdl': 'import "b"\n', 'b.mdl': 'import "a"\n' },
    );
    expect(render(c)).toContain('error MDL5002: import cycle: a.mdl → b.mdl → a.mdl');
  });

  it('the stdlib is importable as std/…', () => {
    const g = graphOf('import "std/mlp"\nmodel m(x: Tensor[B, 4]) { return mlp(x, [16, 16], 3) as "net" }');
    expect(g.params.map((p) => p.name)).toEqual([
      'net.0.weight',
      'net.0.bias',
      'net.2.weight',
      'net.2.bias',
      'net.4.weight',
      'net.4.bias',
    ]);
  });
});
