// The DTMC path analysis of TIPS: the stationary distribution is stationary (πP = π, Σπ = 1),
// has the closed form deg/2|E| on undirected graphs, and the k-best path search returns what
// enumerating every path returns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  degreeStationary,
  dtmc,
  leftMultiply,
  stationary,
  topKPaths,
  transitionMatrix,
  type Edge,
} from '../../compiler/analysis/dtmc.js';
import { graphOf } from '../helpers/compile.js';

/** A connected random multigraph on n vertices: a random spanning tree plus extra edges. */
const connectedGraph = fc.integer({ min: 2, max: 9 }).chain((n) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
      fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: 12 }),
    )
    .map(([tree, extra]) => {
      const edges: Edge[] = tree.map((r, i) => ({ from: r % (i + 1), to: i + 1 }));
      for (const [a, b] of extra) if (a !== b) edges.push({ from: Math.min(a, b), to: Math.max(a, b) });
      return { n, edges };
    }),
);

const maxAbs = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('DTMC: stationary distribution', () => {
  it('πP = π and Σπ = 1 for the degree formula on undirected multigraphs', () => {
    fc.assert(
      fc.property(connectedGraph, ({ n, edges }) => {
        const P = transitionMatrix(n, edges);
        const pi = degreeStationary(n, edges);
        expect(maxAbs(leftMultiply(pi, P), pi)).toBeLessThan(1e-12);
        expect(Math.abs(pi.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-12);
      }),
    );
  });

  it('power iteration finds the same π (and it is stationary for directed chains too)', () => {
    fc.assert(
      fc.property(connectedGraph, ({ n, edges }) => {
        const P = transitionMatrix(n, edges);
        const pi = stationary(P);
        expect(maxAbs(pi, degreeStationary(n, edges))).toBeLessThan(1e-9);
        // A directed cycle through every vertex plus the graph's edges: strongly connected.
        const directed = [...edges, ...Array.from({ length: n }, (_, i) => ({ from: i, to: (i + 1) % n }))];
        const Q = transitionMatrix(n, directed, false);
        const rho = stationary(Q);
        expect(maxAbs(leftMultiply(rho, Q), rho)).toBeLessThan(1e-9);
        expect(Math.abs(rho.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-9);
      }),
      { numRuns: 60 },
    );
  });

  it('rows of P sum to 1', () => {
    fc.assert(
      fc.property(connectedGraph, ({ n, edges }) => {
        const P = transitionMatrix(n, edges);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = P.rowStart[i]!; k < P.rowStart[i + 1]!; k++) s += P.val[k]!;
          expect(s).toBeCloseTo(1, 12);
        }
      }),
    );
  });
});

/** Every source-to-sink path of a DAG, by brute force. */
function allPaths(n: number, edges: readonly Edge[], sources: readonly number[], sinks: readonly number[]): number[][] {
  const out: number[][] = [];
  const sinkSet = new Set(sinks);
  const walk = (v: number, path: number[]) => {
    if (sinkSet.has(v) && path.length > 0) out.push([...path]);
    edges.forEach((e, i) => {
      if (e.from === v) walk(e.to, [...path, i]);
    });
  };
  for (const s of new Set(sources)) walk(s, []);
  return out;
}

const dag = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(
      fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })).filter(([a, b]) => a !== b),
      { minLength: 1, maxLength: 16 },
    ),
    weights: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 16, maxLength: 16 }),
    sources: fc.array(fc.nat({ max: n - 1 }), { minLength: 1, maxLength: 2 }),
    sinks: fc.array(fc.nat({ max: n - 1 }), { minLength: 1, maxLength: 2 }),
    k: fc.integer({ min: 1, max: 6 }),
  }),
);

describe('DTMC: top-k paths', () => {
  it('the k-best dynamic programme equals brute-force enumeration on random DAGs', () => {
    fc.assert(
      fc.property(dag, ({ n, edges: raw, weights, sources, sinks, k }) => {
        const edges = raw.map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }));
        const w = (i: number) => weights[i]!;
        const got = topKPaths(n, edges, w, sources, sinks, k);
        const brute = allPaths(n, edges, sources, sinks)
          .map((p) => p.reduce((s, i) => s + w(i), 0))
          .sort((a, b) => b - a)
          .slice(0, k);
        expect(got.map((p) => p.score)).toEqual(brute.map((s) => expect.closeTo(s, 9)));
        for (const p of got) {
          // Each returned path is a real path with the score it claims.
          p.edges.forEach((e, j) => j > 0 && expect(edges[p.edges[j - 1]!]!.to).toBe(edges[e]!.from));
          expect(p.edges.reduce((s, i) => s + w(i), 0)).toBeCloseTo(p.score, 9);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('DTMC of an IR graph', () => {
  const g = graphOf(`
model m(x: Tensor[B, 8]) {
  a = relu(linear(x, 8) as "fc1")
  b = linear(a, 8) as "fc2"
  c = linear(a, 8) as "fc3"
  return linear(b + c, 2) as "head"
}`);

  it('feature maps are vertices, ops are edges; π is stationary; TAS is π of the op output', () => {
    const r = dtmc(g, { k: 10 });
    // x, fc1, relu, fc2, fc3, add, head: 7 feature maps; 7 edges (the add has two inputs).
    expect(r.values).toHaveLength(7);
    expect(r.edges).toHaveLength(7);
    expect(maxAbs(leftMultiply(r.pi, r.P), r.pi)).toBeLessThan(1e-12);
    const deg = [1, 2, 3, 2, 2, 3, 1];
    deg.forEach((d, i) => expect(r.pi[i]).toBeCloseTo(d / 14, 12));
    expect(r.tas.get('fc2')).toBeCloseTo(2 / 14, 12);
    // Two paths, through fc2 and through fc3, with equal scores.
    expect(r.paths).toHaveLength(2);
    expect(r.paths[0]!.ops).toEqual(['fc1', 'a', 'fc2', 'add', 'head']);
    expect(r.paths[1]!.ops).toEqual(['fc1', 'a', 'fc3', 'add', 'head']);
    expect(r.paths[0]!.score).toBeCloseTo((2 + 3 + 2 + 3 + 1) / 14, 12);
  });

  it('an added edge raises the stationary probability of its endpoints (unless they touch every edge)', () => {
    fc.assert(
      fc.property(connectedGraph, fc.nat(), fc.nat(), ({ n, edges }, a, b) => {
        const u = a % n;
        const v = b % n;
        fc.pre(u !== v);
        const touches = (x: number) => edges.filter((e) => e.from === x || e.to === x).length;
        const before = degreeStationary(n, edges);
        const after = degreeStationary(n, [...edges, { from: Math.min(u, v), to: Math.max(u, v) }]);
        if (touches(u) < edges.length) expect(after[u]!).toBeGreaterThan(before[u]!);
        if (touches(v) < edges.length) expect(after[v]!).toBeGreaterThan(before[v]!);
      }),
    );
  });
});
