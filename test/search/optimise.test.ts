// flash's optimiser (compiler/search/optimise.ts): the relaxed poll is opportunistic and reaches
// a concave objective's maximum with few evaluations; a space of categorical choices only is
// refined by best improvement, evaluation for evaluation as a reference implementation does.
import { describe, expect, it } from 'vitest';
import { halton, optimise, type Lattice, type OptimiseOptions } from '../../compiler/search/optimise.js';
import { prng } from '../../compiler/space/space.js';

const rngOf = (seed: number) => {
  const next = prng(seed);
  return () => next() / 4294967296;
};

function run(
  radix: readonly number[],
  ordered: readonly boolean[],
  f: (d: readonly number[]) => number | undefined,
  opts: Partial<OptimiseOptions> = {},
) {
  const evaluated: string[] = [];
  const lat: Lattice = {
    radix,
    ordered,
    value(d) {
      evaluated.push(d.join(','));
      return f(d);
    },
    allowed: (d) => d[0] !== 0,
  };
  const r = optimise(lat, { points: 24, starts: 3, neighbours: 4, rng: rngOf(11), ...opts });
  return { r, evaluated };
}

describe('optimise', () => {
  it('climbs a concave objective over ordered choices to its maximum', () => {
    const radix = [50, 10, 8, 30];
    const peak = [37, 2, 5, 11];
    const f = (d: readonly number[]) => -d.reduce((s, x, j) => s + (x - peak[j]!) ** 2 * (j + 1), 0);
    const { r, evaluated } = run(radix, [true, true, true, true], f, { points: 8, starts: 1 });
    expect(r.best?.digits).toEqual(peak);
    expect(Math.abs(r.best!.value)).toBe(0);
    // Far fewer than the 120,000 points of the lattice, and fewer than a compass search that
    // evaluates every move of a step before taking the best, from the same start.
    const mine = new Set(evaluated).size;
    expect(mine).toBeLessThan(200);
    const seen = new Set<string>(evaluated.slice(0, 8)); // the same sampling points
    const start = evaluated
      .slice(0, 8)
      .map((k) => k.split(',').map(Number))
      .sort((a, b) => f(b) - f(a))[0]!;
    let cur = start;
    const step = radix.map((r) => Math.max(1, Math.floor((r - 1) / 4)));
    for (;;) {
      let best: number[] | undefined;
      for (let j = 0; j < 4; j++)
        for (const o of [cur[j]! - step[j]!, cur[j]! + step[j]!]) {
          if (o < 0 || o >= radix[j]!) continue;
          const d = [...cur];
          d[j] = o;
          seen.add(d.join(','));
          if (f(d) > f(best ?? cur)) best = d;
        }
      if (best) cur = best;
      else if (step.every((x) => x === 1)) break;
      else step.forEach((x, j) => (step[j] = Math.max(1, Math.floor(x / 2))));
    }
    expect(cur).toEqual(peak);
    expect(mine).toBeLessThan(seen.size);
  });

  it('refines categorical choices by best improvement, as a reference implementation does', () => {
    const radix = [5, 5, 5, 5, 5, 5];
    const ordered = radix.map(() => false);
    const weights = [
      [3, 1, 4, 1, 5],
      [9, 2, 6, 5, 3],
      [5, 8, 9, 7, 9],
      [3, 2, 3, 8, 4],
      [6, 2, 6, 4, 3],
      [3, 8, 3, 2, 7],
    ];
    const f = (d: readonly number[]) =>
      d.reduce((s, o, j) => s + weights[j]![o]!, 0) + (d[0] === d[5] ? 6 : 0) - (d[2] === 4 && d[3] === 3 ? 20 : 0);
    const got = run(radix, ordered, f, { points: 10, starts: 2, neighbours: 3 });
    // The reference: the same sampling and pool, then every move of every choice, best first.
    const evaluated: string[] = [];
    const cache = new Map<string, number>();
    const value = (d: readonly number[]) => {
      const k = d.join(',');
      evaluated.push(k);
      if (!cache.has(k)) cache.set(k, f(d));
      return cache.get(k)!;
    };
    const rng = rngOf(11);
    const shift = radix.map(() => rng());
    const pts = halton(10, 6, shift).map((u) => u.map((x, j) => Math.min(radix[j]! - 1, Math.floor(x * radix[j]!))));
    const vals = pts.map(value);
    const dist = (a: number[], b: number[]) => a.reduce((s, x, j) => s + (x === b[j] ? 0 : 1), 0);
    const pool = pts
      .map((p, i) => i)
      .filter((i) =>
        pts
          .map((q, j) => ({ j, d: dist(pts[i]!, q) }))
          .filter((x) => x.j !== i)
          .sort((a, b) => a.d - b.d || a.j - b.j)
          .slice(0, 3)
          .every((x) => vals[x.j]! <= vals[i]!),
      )
      .sort((a, b) => vals[b]! - vals[a]! || a - b);
    for (const i of pool.slice(0, 2)) {
      let cur = [...pts[i]!];
      let curV = vals[i]!;
      for (;;) {
        let best: number[] | undefined;
        let bestV = curV;
        for (let j = 0; j < 6; j++)
          for (let o = 0; o < 5; o++) {
            if (o === cur[j]) continue;
            const d = [...cur];
            d[j] = o;
            const v = value(d);
            if (v > bestV) [best, bestV] = [d, v];
          }
        if (!best) break;
        [cur, curV] = [best, bestV];
      }
    }
    // The optimiser evaluates each point once (it caches); the reference asks again.
    expect(got.evaluated).toEqual([...new Set(evaluated)]);
  });
});
