// Candidate traces (compiler/elaborate/trace.ts): a candidate replayed from the trace of its
// signature must build the graph, or report the errors, that interpreting it builds or reports.
// Each space below is elaborated candidate by candidate with traces and without the memo, in
// an order that makes a trace first and replays it on the others; where the recording read a
// choice, or a replay meets a result of another type or a taken name, the candidate must still
// come out as interpreted.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Elaborator, type SpaceInstance } from '../../compiler/elaborate/elaborate.js';
import type { Graph } from '../../compiler/ir/types.js';
import { loadProgram } from '../../compiler/modules/loader.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { verifyGraph } from '../../compiler/ops/verify.js';
import { digitsOf } from '../../compiler/space/space.js';

function elaborator(text: string, memoise: boolean, path: string): Elaborator {
  const e = new Elaborator(loadProgram({ path, text }, nodeHost), {});
  e.memoise = memoise;
  return e;
}

/** A candidate as plain data (spans by position), so two elaborations can be compared. */
function plain(c: SpaceInstance): unknown {
  const g: Graph | undefined = c.graph;
  return {
    name: c.name,
    diagnostics: c.diagnostics.map((d) => `${d.code} ${d.message} @${d.span?.start}`),
    graph:
      g &&
      JSON.parse(
        JSON.stringify({ ...g, nodes: g.nodes.map((n) => ({ ...n, span: [n.span.file, n.span.start, n.span.end] })) }),
      ),
  };
}

/** Every candidate of the space in `text`, with traces and without the memo, in the order given. */
function compare(text: string, order?: readonly number[]) {
  const on = elaborator(text, true, 'test/elaborate/trace.mdl');
  const off = elaborator(text, false, 'test/elaborate/trace.mdl');
  const [s] = on.spaces();
  const [t] = off.spaces();
  const radix = on.instantiate(s!, []).choices.map((c) => c.options.length);
  const size = radix.reduce((a, b) => a * b, 1);
  const results = [];
  for (const i of order ?? Array.from({ length: size }, (_, k) => k)) {
    const d = digitsOf(BigInt(i), radix);
    const a = on.instantiate(s!, d);
    const b = off.instantiate(t!, d);
    if (a.graph) verifyGraph(a.graph);
    expect(plain(a)).toEqual(plain(b));
    results.push(a);
  }
  return { candidates: on.candidates, results };
}

// Two edges, each one of four ops: two are ops, two are blocks of different sizes.
const OPS = `
block conv_bn(x: Tensor[N, C, H, W]) {
  h = conv2d(x, C, 3, padding=1, bias=false) as "conv"
  return batchnorm2d(h) as "bn"
}
block pool(x: Tensor) { return avgpool2d(x, 3, stride=1, padding=1) as "op" }
OPS = [("none", zero), ("skip", identity), ("conv", conv_bn), ("pool", pool)]
`;

/** A space of one chosen op: `defs` (blocks, and the list OPS), then the model `m` whose body is `body`. */
function oneChoice(defs: string, body: string): string {
  return `${defs}
model m(x: Tensor[2, 4, 8, 8], op: list = OPS[0]) {
  name, f = op
${body}
  return global_avgpool(h) as "head"
}
space s {
  op = choice(OPS)
  model = m(op=op)
}`;
}

describe('candidate traces', () => {
  it('a cell of chosen ops and blocks is recorded once and replayed for every other candidate', () => {
    const text = `${OPS}
block cell(x: Tensor, g: list) {
  a, f = g[0]
  b, h = g[1]
  y = f(x) as "e0"
  z = h(y) as "e1"
  return relu(y + z) as "out"
}
model m(x: Tensor[2, 4, 8, 8], g: list = [OPS[0], OPS[0]]) {
  h = conv2d(x, 8, 1) as "stem"
  h = cell(h, g) as "c0"
  h = cell(h, g) as "c1"
  return global_avgpool(h) as "head"
}
space s {
  g = choices(OPS, 2)
  model = m(g=g)
}`;
    const { candidates, results } = compare(text);
    expect(results.every((r) => r.graph)).toBe(true);
    // One recording (nothing reads an op, or whether it is an op or a block), every other
    // candidate replayed (16, and the first once more, for the space's radix).
    expect(candidates.recorded).toBe(1);
    expect(candidates.replayed).toBe(17 - 1);
    expect(candidates.interpreted).toBe(0);
  });

  it('a choice the model reads joins the signature: widths read are recorded once each', () => {
    const text = `${OPS}
model m(x: Tensor[2, 4, 8, 8], width: int = 8, op: list = OPS[0]) {
  h = conv2d(x, width, 1) as "stem"
  name, f = op
  h = f(h) as "edge"
  return global_avgpool(h) as "head"
}
space s {
  width = choice(8, 16)
  op = choice(OPS)
  model = m(width=width, op=op)
}`;
    const { candidates } = compare(text);
    // The first recording reads the width; then each width is recorded once, and the rest (of 8
    // candidates and the first once more) replayed.
    expect(candidates.recorded).toBe(1 + 2);
    expect(candidates.replayed).toBe(9 - 3);
  });

  it('a choice whose kind alone is read (a typed parameter) joins the signature by its kind', () => {
    const text = `${OPS}
model m(x: Tensor[2, 4, 8, 8], tag: int = 0, op: list = OPS[0]) {
  name, f = op
  h = f(x) as "edge"
  return global_avgpool(h) as "head"
}
space s {
  tag = choice(1, 2, 3)
  op = choice(OPS)
  model = m(tag=tag, op=op)
}`;
    const { candidates } = compare(text);
    // The first recording reads the tag's kind (its type is checked), the second holds it;
    // every other candidate of the 12 (and the first once more) is replayed.
    expect(candidates.recorded).toBe(2);
    expect(candidates.replayed).toBe(13 - 2);
  });

  it('a branch on a chosen name is a read: every name gets its own trace', () => {
    const text = oneChoice(
      `${OPS}
`,
      `  h = f(x) as "edge"
  h = if name == "none" { h } else { relu(h) as "act" }`,
    );
    const { candidates } = compare(text, [0, 1, 2, 3, 0, 1, 2, 3]);
    expect(candidates.replayed).toBe(4);
  });

  it('a chosen call without a name of its own is not traced (its layer is named after the callee)', () => {
    const text = oneChoice(
      `${OPS}
`,
      `  h = f(x)`,
    );
    const { candidates } = compare(text, [0, 1, 2, 3, 0, 1, 2, 3]);
    expect(candidates.replayed).toBe(0);
  });

  it('a block around a chosen call with one layer of its own is not traced (it could be renamed)', () => {
    const text = oneChoice(
      `${OPS}
block edge(x: Tensor, f) { return f(x) as "o" }
`,
      `  h = edge(x, f) as "edge"`,
    );
    const { candidates } = compare(text, [2, 0, 1, 3, 2, 0, 1, 3]);
    expect(candidates.replayed).toBe(0);
  });

  it('a chosen call whose result has another type than recorded: the candidate is interpreted', () => {
    const text = oneChoice(
      `
block keep(x: Tensor) { return relu(x) as "r" }
block widen(x: Tensor) { return conv2d(x, 16, 1) as "conv" }
OPS = [("keep", keep), ("widen", widen)]
`,
      `  h = f(x) as "edge"
  h = conv2d(h, 8, 1) as "after"`,
    );
    const { candidates, results } = compare(text, [0, 1, 0, 1]);
    expect(results.every((r) => r.graph)).toBe(true);
    // Recorded with keep (the radix's instance), replayed for keep; widen's result has 16
    // channels, not 4, so the replay gives up and it is interpreted.
    expect(candidates.recorded).toBe(1);
    expect(candidates.replayed).toBe(2);
    expect(candidates.interpreted).toBe(2);
  });

  it('a layer name a chosen block takes is reported as interpretation reports it', () => {
    const text = oneChoice(
      `
block two(x: Tensor) {
  h = relu(x) as "a"
  return sigmoid(h) as "b"
}
OPS = [("relu", relu), ("two", two)]
`,
      `  h = f(x) as "edge"
  h = tanh(h) as "edge.a"`,
    );
    const { results } = compare(text, [0, 1, 0, 1]);
    expect(results[0]!.graph).toBeDefined();
    expect(results[1]!.graph).toBeUndefined();
    expect(results[1]!.diagnostics.some((d) => d.code === 'MDL2004')).toBe(true);
  });

  it('NAS-Bench-201 candidates: the same graphs as interpretation, all but the first replayed', () => {
    const text = readFileSync('examples/nb201.mdl', 'utf8');
    const on = elaborator(text, true, 'examples/nb201.mdl');
    const off = elaborator(text, false, 'examples/nb201.mdl');
    const [s] = on.spaces();
    const [t] = off.spaces();
    let total = 0;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 15624 }), { minLength: 4, maxLength: 8 }), (indices) => {
        for (const i of indices) {
          total++;
          const d = digitsOf(BigInt(i), [5, 5, 5, 5, 5, 5]);
          expect(plain(on.instantiate(s!, d))).toEqual(plain(off.instantiate(t!, d)));
        }
      }),
      { numRuns: 12, seed: 7 },
    );
    // One recording (nothing reads an edge's op or its kind), every other candidate replayed.
    expect(on.candidates.recorded).toBe(1);
    expect(on.candidates.replayed).toBe(total - 1);
    expect(on.candidates.interpreted).toBe(0);
  });

  it('spaces of widths, depths and kernel sizes: one recording reads every choice, then interpretation', () => {
    for (const file of ['examples/flash_space.mdl', 'examples/mbv2_space.mdl']) {
      const text = readFileSync(file, 'utf8');
      const on = elaborator(text, true, file);
      const off = elaborator(text, false, file);
      const [s] = on.spaces();
      const [t] = off.spaces();
      // The first instance is the recording: its graph is the real one all the same.
      const first = on.instantiate(s!, []);
      expect(plain(first)).toEqual(plain(off.instantiate(t!, [])));
      const radix = first.choices.map((c) => c.options.length);
      const rng = fc.sample(fc.array(fc.nat(), { minLength: radix.length, maxLength: radix.length }), {
        numRuns: 4,
        seed: 11,
      });
      for (const r of rng) {
        const d = radix.map((n, k) => r[k]! % n);
        expect(plain(on.instantiate(s!, d))).toEqual(plain(off.instantiate(t!, d)));
      }
      // The recording read every leaf: no hole is left, so the others are interpreted.
      expect(on.candidates.recorded).toBe(1);
      expect(on.candidates.replayed).toBe(0);
      expect(on.candidates.interpreted).toBe(4);
    }
  });
});
