// The multiplicity metrics against their definitions: Blahut–Arimoto's closed-form cases and
// the official code's own outputs (test/rashomon/fixtures/official-metrics.json, computed by the
// functions of its utils/evaluation.py with numpy), ambiguity ≥ discrepancy, and a Rashomon set
// of copies of the base model having every metric 0.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ambiguity,
  blahutArimoto,
  decisions,
  disagreement,
  discrepancy,
  multiplicity,
  rashomonCapacity,
  rashomonSet,
  scoreOf,
  scoreVariance,
  viablePredictionRange,
} from '../../compiler/rashomon/metrics.js';

interface Official {
  cases: { m: number; c: number; P: number[]; capacity: number; iterations: number }[];
  metrics: {
    m: number;
    n: number;
    c: number;
    scores: number[];
    labels: number[];
    base: number[];
    ambiguity: number;
    discrepancy: number;
    vpr: number[];
    score_variance: number[];
    rc: number[];
  };
}
const official = JSON.parse(readFileSync('test/rashomon/fixtures/official-metrics.json', 'utf8')) as Official;

const h2 = (q: number) => -q * Math.log2(q) - (1 - q) * Math.log2(1 - q);

describe('Blahut–Arimoto', () => {
  it('gives capacity 0 for identical rows', () => {
    const row = [0.2, 0.5, 0.3];
    for (const m of [1, 2, 7]) {
      const r = blahutArimoto(Array.from({ length: m }, () => row).flat(), m, 3);
      expect(r.capacity).toBe(0);
      expect(r.iterations).toBe(1);
    }
  });

  it('gives log2 c for the c×c identity', () => {
    for (const c of [2, 3, 10]) {
      const I = Array.from({ length: c * c }, (_, k) => (Math.floor(k / c) === k % c ? 1 : 0));
      expect(blahutArimoto(I, c, c).capacity).toBeCloseTo(Math.log2(c), 12);
    }
  });

  it('gives 1 − H2(q) for a binary symmetric channel', () => {
    for (const q of [0.01, 0.1, 0.25, 0.4]) {
      const r = blahutArimoto([1 - q, q, q, 1 - q], 2, 2);
      expect(r.capacity).toBeCloseTo(1 - h2(q), 10);
    }
  });

  it('agrees with the official code on random channels (iterations included) and on zeros', () => {
    for (const k of official.cases) {
      const r = blahutArimoto(k.P, k.m, k.c);
      expect(r.iterations, `${k.m}×${k.c}`).toBe(k.iterations);
      expect(Math.abs(r.capacity - k.capacity), `${k.m}×${k.c}`).toBeLessThan(1e-9);
    }
  });
});

describe('multiplicity metrics as the official code defines them', () => {
  const o = official.metrics;
  const per = o.n * o.c;
  const models = Array.from({ length: o.m }, (_, k) => o.scores.slice(k * per, (k + 1) * per));
  const ds = models.map((s) => decisions(s, o.n, o.c));
  const ys = models.map((s) => scoreOf(s, o.labels, o.c));

  it('ambiguity, discrepancy, viable prediction range, score variance and capacity match', () => {
    expect(ambiguity(ds, o.base)).toBe(o.ambiguity);
    expect(discrepancy(ds, o.base)).toBe(o.discrepancy);
    const close = (a: ArrayLike<number>, b: number[], tol: number) =>
      b.forEach((x, i) => expect(Math.abs(a[i]! - x), `sample ${i}`).toBeLessThanOrEqual(tol));
    close(viablePredictionRange(ys, o.n), o.vpr, 0);
    close(scoreVariance(ys, o.n), o.score_variance, 1e-15);
    close(rashomonCapacity(models, o.n, o.c), o.rc, 1e-9);
  });

  it('disagreement is 4μ(1 − μ) for two classes and 0 where all models agree', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 5, maxLength: 5 }), {
          minLength: 1,
          maxLength: 9,
        }),
        (rows) => {
          const d = disagreement(rows, 5, 2);
          for (let i = 0; i < 5; i++) {
            const mu = rows.reduce((s, r) => s + r[i]!, 0) / rows.length;
            expect(d[i]).toBeCloseTo(4 * mu * (1 - mu), 12);
          }
        },
      ),
    );
    expect([
      ...disagreement(
        [
          [3, 1],
          [3, 1],
          [3, 1],
        ],
        2,
        10,
      ),
    ]).toEqual([0, 0]);
  });

  it('ambiguity ≥ discrepancy on any set of decisions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.array(fc.nat(), { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        (n, c, rows, base) => {
          const ds = rows.map((r) => r.slice(0, n).map((v) => v % c));
          const b = base.slice(0, n).map((v) => v % c);
          expect(ambiguity(ds, b)).toBeGreaterThanOrEqual(discrepancy(ds, b));
        },
      ),
    );
  });

  it('R(ε) keeps losses strictly below base + ε', () => {
    expect(rashomonSet([0.5, 0.49, 0.51, 0.5], 0.5, 0)).toEqual([1]);
    expect(rashomonSet([0.5, 0.49, 0.51, 0.5], 0.5, 0.02)).toEqual([0, 1, 2, 3]);
  });

  it('copies of the base model give every metric 0 and capacity 2^RC = 1; an empty set leaves zeros', () => {
    const base = { loss: 0.3, scores: official.metrics.scores.slice(0, per) };
    const rows = multiplicity({
      base,
      labels: o.labels,
      classes: o.c,
      models: Array.from({ length: 5 }, () => ({ loss: base.loss, scores: Float32Array.from(base.scores) })),
      epsilons: [0, 0.01, 0.02],
    });
    expect(rows[0]!.models).toBe(0);
    for (const r of rows) {
      expect([r.ambiguity, r.discrepancy, r.disagreement.max, r.vpr.max, r.scoreVariance.max]).toEqual([0, 0, 0, 0, 0]);
      expect(r.capacity.max).toBe(1);
      expect(r.capacity.mean).toBe(1);
    }
    expect(rows[1]!.models).toBe(5);
  });
});
