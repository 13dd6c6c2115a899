// Static rows from candidate compositions (compiler/elaborate/compose.ts, compiler/space/
// traced.ts) against full graphs: every candidate composed from its trace must get the row its
// full graph gives (canonical hash, sums, NN-Mass and NN-Degree of a function not seen before),
// and a candidate that cannot be composed, or whose function needs the whole graph, must fall
// back and say why.
import { describe, expect, it } from 'vitest';
import { Scorer } from '../../compiler/space/evaluate.js';
import type { TracedAnalyser } from '../../compiler/space/traced.js';
import { digitsOf, type OpenSpace } from '../../compiler/space/space.js';
import { topologyPatterns } from '../../compiler/space/topology-memo.js';
import { space, spaceText } from './helpers.js';

const PROXIES = ['params', 'macs', 'flops', 'nn_mass', 'nn_degree'];

function pair(s: () => OpenSpace, proxies = PROXIES) {
  return { traced: new Scorer(s(), proxies, 1, 'traced'), full: new Scorer(s(), proxies, 1, 'full') };
}

const stats = (s: Scorer) => s.stats as TracedAnalyser['stats'];

function opened(text: string): OpenSpace {
  const r = spaceText(text);
  if (!r.space) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.space;
}

describe('rows from candidate compositions equal the full graphs’', () => {
  it('NAS-Bench-201: 400 candidates spread over the space, nearly all composed', () => {
    const { traced, full } = pair(() => space('examples/nb201.mdl'));
    const n = 400;
    for (let k = 0; k < n; k++) {
      const i = BigInt(Math.floor((k * 15625) / n) + (k % 7));
      expect(traced.score(i)).toEqual(full.score(i));
    }
    expect(traced.counts.mismatches).toBe(0);
    // The first candidate records the trace and the first ones make the expansions; then every
    // candidate is composed, new functions included (NN-Mass's joins between the edges).
    expect(traced.counts.incremental).toBeGreaterThan(n * 0.9);
    expect([...traced.counts.fallbacks.keys()]).toEqual(['not composed']);
    expect(
      [...stats(traced).not.keys()].every((k) => k === 'no trace recorded yet' || k === 'an expansion not made yet'),
    ).toBe(true);
  });

  it('all-`none` and partly-`none` cells: zero inputs into the edges after them', () => {
    const { traced, full } = pair(() => space('examples/nb201.mdl'));
    // Warm up: record the trace and make every op's expansion at every edge.
    for (let i = 0n; i < 15625n; i += 97n) traced.score(i);
    for (const i of [0n, 1n, 5n, 62n, 93n, 3124n, 15624n]) expect(traced.score(i)).toEqual(full.score(i));
    expect(traced.counts.mismatches).toBe(0);
  });

  for (const file of ['examples/flash_space.mdl', 'examples/mbv2_space.mdl']) {
    it(`${file}: its model reads every choice, so no candidate is composed, and the rows are the full graphs’`, () => {
      const { traced, full } = pair(() => space(file));
      for (let k = 0n; k < 6n; k++) {
        const i = (k * 7919n) % traced.space.size;
        expect(traced.score(i)).toEqual(full.score(i));
      }
      expect(traced.counts.incremental).toBe(0);
      expect(stats(traced).composed).toBe(0);
    });
  }
});

// Two chosen edges after a stem, summed: a residual join between segments.
const EDGES = `
block conv_bn(x: Tensor[N, C, H, W]) {
  h = conv2d(x, C, 3, padding=1, bias=false) as "conv"
  return batchnorm2d(h) as "bn"
}
block shifted(x: Tensor[N, C, H, W]) {
  c = constant(1.0, shape=[N, C, H, W]) as "c"
  return relu(x + c) as "r"
}
OPS = [("conv", conv_bn), ("skip", identity), ("shifted", shifted)]
model m(x: Tensor[2, 4, 8, 8], ops: list = [OPS[0], OPS[0]]) {
  h = conv2d(x, 4, 3, padding=1) as "stem"
  n0, f0 = ops[0]
  n1, f1 = ops[1]
  a = f0(h) as "e0"
  b = f1(h) as "e1"
  return global_avgpool(relu(a + b) as "join") as "head"
}
`;

describe('what a composition cannot stand for falls back to the full graph', () => {
  it('a segment whose output its input does not dominate (a constant joins inside it): NN-Mass needs the whole graph', () => {
    const text = `${EDGES}\nspace s {\n  ops = choices(OPS, 2)\n  model = m(ops=ops)\n}`;
    const { traced, full } = pair(() => opened(text));
    for (let round = 0; round < 2; round++)
      for (let i = 0n; i < traced.space.size; i++) expect(traced.score(i)).toEqual(full.score(i));
    // conv+conv, conv+skip… compose; a candidate with a `shifted` edge and a new function does not.
    expect(traced.counts.fallbacks.get('topology across segments')).toBeGreaterThan(0);
    expect(traced.counts.incremental).toBeGreaterThan(0);
  });

  it('a layer named under a chosen call’s name: the trace is never composed', () => {
    const text = `${EDGES.replace('h = conv2d(x, 4, 3, padding=1) as "stem"', 'h = conv2d(x, 4, 3, padding=1) as "e0.stem"')}
space s {\n  ops = choices(OPS, 2)\n  model = m(ops=ops)\n}`;
    const { traced, full } = pair(() => opened(text));
    for (let round = 0; round < 2; round++)
      for (let i = 0n; i < traced.space.size; i++) expect(traced.score(i)).toEqual(full.score(i));
    expect(traced.counts.incremental).toBe(0);
    expect(stats(traced).not.get('a layer is named under a chosen call')).toBeGreaterThan(0);
  });
});

describe('compositions by path group, and topology patterns', () => {
  const NB201_CONV3 = 11718n; // every edge nor_conv_3x3 (digit 3 of 5 at each of the six)
  const NB201_CONV1 = 7812n; // every edge nor_conv_1x1
  const warm = (s: Scorer) => {
    // Records the trace and makes every op's expansion at every edge.
    for (let i = 0n; i < 15625n; i += 97n) s.score(i);
  };

  it('NAS-Bench-201: 90 hole steps in six path groups, each kept once per callee', () => {
    const s = space('examples/nb201.mdl');
    warm(new Scorer(s, ['params'], 1, 'traced'));
    const composed = (i: bigint) => {
      const c = s.elaborator.composeCandidate(s.def, digitsOf(i, s.radix)).composition;
      if (typeof c === 'string') throw new Error(c);
      return c;
    };
    const a = composed(NB201_CONV3);
    expect(a.groups).toHaveLength(6);
    expect(a.groups.map((g) => g.steps.length)).toEqual([15, 15, 15, 15, 15, 15]);
    expect(a.groups.flatMap((g) => g.steps).sort((x, y) => x - y)).toEqual([...Array(90).keys()]);
    // The last edge pools instead: one group's expansions differ, the other five are the same objects.
    const b = composed(NB201_CONV3 + 1n);
    expect(a.groups.filter((g, k) => g === b.groups[k])).toHaveLength(5);
  });

  it('functions that differ only in kernel sizes share NN-Mass and NN-Degree; every row is its full graph’s', () => {
    const { traced, full } = pair(() => space('examples/nb201.mdl'));
    warm(traced);
    const r3 = traced.score(NB201_CONV3);
    const r1 = traced.score(NB201_CONV1);
    expect(r3).toEqual(full.score(NB201_CONV3));
    expect(r1).toEqual(full.score(NB201_CONV1));
    expect(r1.hash).not.toBe(r3.hash);
    expect(r1.nn_mass).toBe(r3.nn_mass);
    expect(r1.nn_degree).toBe(r3.nn_degree);
  });

  it('topology patterns are fewer than the functions they serve', () => {
    const s = space('examples/nb201.mdl');
    const traced = new Scorer(s, ['nn_mass', 'nn_degree'], 1, 'traced');
    const hashes = new Set<unknown>();
    for (let i = 0n; i < 3000n; i++) hashes.add(traced.score(i).hash);
    const c = s.elaborator.composeCandidate(s.def, digitsOf(0n, s.radix)).composition;
    if (typeof c === 'string') throw new Error(c);
    const patterns = topologyPatterns(c.skeleton.graph);
    expect(patterns).toBeGreaterThan(0);
    expect(patterns).toBeLessThan(hashes.size / 2);
  });
});
