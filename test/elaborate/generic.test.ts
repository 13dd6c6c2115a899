// Type-generic templates (compiler/elaborate/generic.ts): a call instantiated at new widths from
// the steps recorded at other widths must build the graph, or report the errors, that
// interpreting it builds or reports; a body that reads dims, or whose called blocks answer
// differently at the new widths, must be interpreted again.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Elaborator } from '../../compiler/elaborate/elaborate.js';
import type { Graph } from '../../compiler/ir/types.js';
import { loadProgram } from '../../compiler/modules/loader.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { verifyGraph } from '../../compiler/ops/verify.js';
import { digitsOf } from '../../compiler/space/space.js';

function elaborator(text: string, memoise: boolean, path = 'test/elaborate/generic.mdl'): Elaborator {
  const e = new Elaborator(loadProgram({ path, text }, nodeHost), {});
  e.memoise = memoise;
  return e;
}

/** A graph as plain data, spans by position, so two elaborations can be compared. */
function plain(g: Graph): unknown {
  return JSON.parse(
    JSON.stringify({ ...g, nodes: g.nodes.map((n) => ({ ...n, span: [n.span.file, n.span.start, n.span.end] })) }),
  );
}

/** The model `m` with and without memoisation: graphs and diagnostics, and the memo's counts. */
function both(text: string) {
  const on = elaborator(text, true);
  const off = elaborator(text, false);
  const run = (e: Elaborator) => {
    const g = e.elaborateModel(e.models().find((m) => m.name === 'm')!);
    return { g, diagnostics: e.diagnostics.items.map((d) => `${d.code} ${d.message} @${d.span?.start}`) };
  };
  const a = run(on);
  const b = run(off);
  return { a, b, counts: on.expansions };
}

// Three stages of a cell whose body names, sums and wires its ops without reading a dim.
const STAGED = `
block unit(x: Tensor[N, C, H, W]) {
  return batchnorm2d(conv2d(relu(x), C, 3, padding=1, bias=false)) as "bn"
}
block pool(x: Tensor) { return avgpool2d(x, 3, stride=1, padding=1) }
block cell(x: Tensor, ops: list) {
  nodes = [x]
  for i, op in enumerate(ops) {
    y = op(nodes[i]) as "edges.{i}"
    nodes = nodes + [y + nodes[0]]
  }
  h = relu(nodes[len(nodes) - 1])
  return h * 0.5
}
model m(x: Tensor[2, 4, 16, 16]) {
  h = x
  for s, w in enumerate([4, 8, 16]) {
    if s > 0 { h = conv2d(h, w, 3, stride=2, padding=1) as "down{s}" }
    h = cell(h, [unit, pool, unit]) as "cells.{s}.a"
    h = cell(h, [unit, pool, unit]) as "cells.{s}.b"
  }
  return h
}
`;

describe('type-generic templates', () => {
  it('a cell used at three widths is interpreted once and instantiated at the other two', () => {
    const { a, b, counts } = both(STAGED);
    expect(b.diagnostics).toEqual([]);
    verifyGraph(a.g!);
    expect(plain(a.g!)).toEqual(plain(b.g!));
    expect(counts.instantiated).toBe(2);
    // Its own ops took the new widths: the last stage's convolutions have 16 channels.
    expect(a.g!.params.find((p) => p.name === 'cells.2.b.edges.2.conv2d.weight')?.shape).toEqual([16, 16, 3, 3]);
  });

  it('a body that reads a dim is not instantiated', () => {
    const text = STAGED.replace('h = relu(nodes[len(nodes) - 1])', 'h = relu(nodes[x.shape[1] // 8])');
    const { a, b, counts } = both(text);
    expect(b.diagnostics).toEqual([]);
    expect(plain(a.g!)).toEqual(plain(b.g!));
    expect(counts.instantiated).toBe(0);
    // The dim picks another node at each width: an instantiation would have kept the first.
    const producer = new Map(a.g!.nodes.flatMap((n) => n.outputs.map((o) => [o, n.name] as const)));
    const input = (name: string) => producer.get(a.g!.nodes.find((n) => n.name === name)!.inputs[0]!);
    expect(input('cells.0.b.h')).toBe('cells.0.a.mul');
    expect(input('cells.1.b.h')).toBe('cells.1.b.add');
    expect(input('cells.2.b.h')).toBe('cells.2.b.add_1');
  });

  it('a called block that answers with another value at the new width makes the caller be interpreted', () => {
    const text = `
block probe(x: Tensor[N, C, H, W]) { return (relu(x), C // 4) }
block cell(x: Tensor) {
  y, k = probe(x) as "probe"
  for i in range(k) { y = relu(y) as "r{i}" }
  return y
}
model m(x: Tensor[1, 4, 8, 8]) {
  a = cell(x) as "a"
  b = conv2d(a, 8, 1) as "wide"
  return cell(b) as "c"
}`;
    const { a, b, counts } = both(text);
    expect(b.diagnostics).toEqual([]);
    expect(plain(a.g!)).toEqual(plain(b.g!));
    expect(counts.instantiated).toBe(0);
    expect(a.g!.nodes.filter((n) => /^c\.r\d$/.test(n.name)).length).toBe(2);
  });

  it('tensors a called block passes through, and tuples of them, keep their identity', () => {
    const text = `
block pair(x: Tensor) { return (x, relu(x)) }
block cell(x: Tensor) {
  p, q = pair(x) as "p"
  s, t = pair(q) as "q"
  return p + q + s * t
}
model m(x: Tensor[1, 4, 8, 8]) {
  a = cell(x) as "a"
  return cell(conv2d(a, 8, 1)) as "b"
}`;
    const { a, b, counts } = both(text);
    expect(plain(a.g!)).toEqual(plain(b.g!));
    // The cell at the new width, and `pair` inside it the first time it meets that width.
    expect(counts.instantiated).toBe(2);
  });

  it('an op that refuses the new width reports what interpretation reports', () => {
    const text = `
block fixed(x: Tensor) { return x + conv2d(x, 4, 1) }
model m(x: Tensor[1, 4, 8, 8]) {
  a = fixed(x) as "a"
  return fixed(conv2d(a, 8, 1)) as "b"
}`;
    const { a, b } = both(text);
    expect(a.g).toBeUndefined();
    expect(b.diagnostics.length).toBeGreaterThan(0);
    expect(a.diagnostics).toEqual(b.diagnostics);
  });

  it('a name taken before the instantiation is reported as interpretation reports it', () => {
    const text = `
block cell(x: Tensor) { return relu(x) + x }
model m(x: Tensor[1, 4, 8, 8]) {
  a = cell(x) as "a"
  w = conv2d(a, 8, 1) as "b.add"
  return cell(w) as "b"
}`;
    const { a, b } = both(text);
    expect(a.diagnostics).toEqual(b.diagnostics);
    expect(a.g && plain(a.g)).toEqual(b.g && plain(b.g));
  });

  it('NAS-Bench-201 candidates: the same graphs with and without the memo, cells instantiated', () => {
    const text = readFileSync('examples/nb201.mdl', 'utf8');
    const on = elaborator(text, true, 'examples/nb201.mdl');
    // Candidate traces (trace.ts) would make the cells' expansions without interpreting them.
    on.traceCandidates = false;
    const off = elaborator(text, false, 'examples/nb201.mdl');
    const [s] = on.spaces();
    const [t] = off.spaces();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 15624 }), { minLength: 1, maxLength: 6 }), (indices) => {
        for (const i of indices) {
          const d = digitsOf(BigInt(i), [5, 5, 5, 5, 5, 5]);
          expect(plain(on.instantiate(s!, d).graph!)).toEqual(plain(off.instantiate(t!, d).graph!));
        }
      }),
      { numRuns: 12, seed: 201 },
    );
    // Each new cell is interpreted at one width and instantiated at the other two.
    expect(on.expansions.instantiated).toBeGreaterThan(on.expansions.interpreted / 2);
  });
});
