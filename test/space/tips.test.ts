// The TIPS analysis over a family of sub-networks: the hyper-graph's closed-form stationary
// distribution is stationary for the explicit chain, the best-path programme equals brute force,
// and a skip edge raises the TAS of its endpoints.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  degreeStationary,
  leftMultiply,
  stationary,
  transitionMatrix,
  type Edge,
} from '../../compiler/analysis/dtmc.js';
import {
  bestPath,
  hyperChain,
  hyperGraph,
  hyperStationary,
  tips,
  type SubnetTopology,
} from '../../compiler/analysis/tips.js';

const maxAbs = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

/** A DAG on n vertices (edges low → high) with a spanning chain-like tree, so it is connected. */
const dagEdges = (n: number) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
      fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: 10 }),
    )
    .map(([tree, extra]) => {
      const edges: Edge[] = tree.map((r, i) => ({ from: r % (i + 1), to: i + 1 }));
      for (const [a, b] of extra) if (a !== b) edges.push({ from: Math.min(a, b), to: Math.max(a, b) });
      return edges;
    });

const topology = (name: string, n: number, edges: readonly Edge[]): SubnetTopology => ({
  name,
  edges: edges.map((e) => [`v${e.from}`, `v${e.to}`] as const),
  input: 'v0',
  output: `v${n - 1}`,
});

/** 1 to 4 sub-networks over the same n vertices. */
const family = fc
  .integer({ min: 2, max: 7 })
  .chain((n) =>
    fc.array(dagEdges(n), { minLength: 1, maxLength: 4 }).map((es) => es.map((e, k) => topology(`s${k}`, n, e))),
  );

describe('TIPS: the hyper-graph chain', () => {
  it('πP = π and Σπ = 1 (1e-9) for the closed form on the explicit hyper-adjacency', () => {
    fc.assert(
      fc.property(family, (subs) => {
        const P = hyperChain(subs);
        const pi = hyperStationary(hyperGraph(subs));
        expect(pi.length).toBe(P.n);
        expect(maxAbs(leftMultiply(pi, P), pi)).toBeLessThan(1e-9);
        expect(Math.abs(pi.reduce((a, x) => a + x, 0) - 1)).toBeLessThan(1e-9);
        // Power iteration on the explicit chain finds the same distribution.
        expect(maxAbs(stationary(P), pi)).toBeLessThan(1e-9);
      }),
      { numRuns: 80 },
    );
  });

  it('an undirected connected graph without self-loops: π = deg / 2|E|', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }).chain((n) => dagEdges(n).map((e) => ({ n, e }))),
        ({ n, e }) => {
          const pi = stationary(transitionMatrix(n, e));
          const deg = new Float64Array(n);
          for (const x of e) {
            deg[x.from]!++;
            deg[x.to]!++;
          }
          deg.forEach((d, i) => expect(Math.abs(pi[i]! - d / (2 * e.length))).toBeLessThan(1e-9));
          expect(maxAbs(pi, degreeStationary(n, e))).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('TAS sums a vertex over the copies: one sub-network is deg (plus the terminals’ self-loops) / total', () => {
    // A ResNet basic block as the official code draws it: path 0-1-2-3 and the skip 0-3.
    const block = topology('block', 4, [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 3 },
      { from: 0, to: 3 },
    ]);
    const r = tips([block]);
    // Degrees 2,2,2,2 plus self-loops at 0 and 3: 3,2,2,3 of 10.
    expect([...r.tas.values()]).toEqual([0.3, 0.2, 0.2, 0.3].map((x) => expect.closeTo(x, 12)));
    // T copies of the same network: the same TAS (the couplings add T − 1 to every vertex).
    const r3 = tips([block, block, block]);
    const total = 3 * (10 + 4 * 2);
    expect(r3.tas.get('v0')).toBeCloseTo((3 * (3 + 2)) / total, 12);
    expect([...r3.tas.values()].reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
  });
});

/** Every input → output path of a sub-network, with its TPS, by enumeration. */
function bruteBest(s: SubnetTopology, tas: ReadonlyMap<string, number>): number {
  let best = -Infinity;
  const walk = (v: string, score: number) => {
    if (v === s.output) best = Math.max(best, score);
    for (const [a, b] of s.edges) if (a === v) walk(b, score + (tas.get(b) ?? 0));
  };
  walk(s.input, tas.get(s.input) ?? 0);
  return best;
}

describe('TIPS: paths', () => {
  it('the best-path dynamic programme equals brute force on small DAGs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }).chain((n) =>
          fc.tuple(
            dagEdges(n).map((e) => topology('s', n, e)),
            fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
          ),
        ),
        ([s, w]) => {
          const tas = new Map(w.map((x, i) => [`v${i}`, x]));
          const got = bestPath(s, tas);
          const brute = bruteBest(s, tas);
          if (brute === -Infinity) return; // output not reachable from the input
          expect(got.tps).toBeCloseTo(brute, 9);
          // The returned path is a real path with the score it claims.
          expect(got.path[0]).toBe(s.input);
          expect(got.path.at(-1)).toBe(s.output);
          for (let i = 1; i < got.path.length; i++)
            expect(s.edges.some(([a, b]) => a === got.path[i - 1] && b === got.path[i])).toBe(true);
          expect(got.path.reduce((a, v) => a + tas.get(v)!, 0)).toBeCloseTo(got.tps, 9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a skip edge raises the TAS of its endpoints', () => {
    fc.assert(
      fc.property(family, fc.nat(), fc.nat(), (subs, a, b) => {
        const n = new Set(subs.flatMap((s) => s.edges.flat())).size;
        const u = a % n;
        const v = b % n;
        fc.pre(u !== v);
        const before = tips(subs).tas;
        const skip = [`v${Math.min(u, v)}`, `v${Math.max(u, v)}`] as const;
        const after = tips(subs.map((s) => ({ ...s, edges: [...s.edges, skip] }))).tas;
        // TAS(x) = D_x / D; the edge adds T to D_x and 2T to D: it rises while D_x < D / 2,
        // which holds for every vertex of a graph with more than one edge per copy.
        for (const x of skip) {
          const share = before.get(x)!;
          if (share < 0.5 - 1e-9) expect(after.get(x)!).toBeGreaterThan(share);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the sampling distribution sums to 1 and favours the sub-network with the longer important path', () => {
    const full = topology('full', 4, [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 3 },
    ]);
    const skipped = topology('skip', 4, [{ from: 0, to: 3 }]);
    const r = tips([full, skipped]);
    expect(r.subnets.reduce((a, s) => a + s.probability, 0)).toBeCloseTo(1, 12);
    expect(r.subnets[0]!.probability).toBeGreaterThan(r.subnets[1]!.probability);
    expect(r.subnets[0]!.path).toEqual(['v0', 'v1', 'v2', 'v3']);
    expect(r.subnets[1]!.path).toEqual(['v0', 'v3']);
    // τ = 0 is uniform sampling.
    expect(tips([full, skipped], { temperature: 0 }).subnets.map((s) => s.probability)).toEqual([0.5, 0.5]);
  });
});
