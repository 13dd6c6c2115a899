// The search algorithms on a small space: evolution never proposes a candidate twice (by index
// or canonical hash) nor one outside a limit; flash's predictor is the least-squares fit of what
// it sampled; a search resumed from a cut log continues exactly as the uninterrupted one.
import { describe, expect, it } from 'vitest';
import { readLog, logLine } from '../../compiler/search/log.js';
import { fitCostModel, fitPredictor, leastSquares, predict, type Fit } from '../../compiler/search/predictor.js';
import type { Evaluated, Measurer } from '../../compiler/search/problem.js';
import { runSearch } from '../../compiler/search/run.js';
import { opened, withSearch } from './tiny.js';

describe('evolution', () => {
  it('never proposes a candidate twice, by index or by hash, nor one outside a limit', async () => {
    const { spec, space } = opened(
      withSearch(
        `  algorithm = evolution(population=4, iterations=300, mutate=1)
  maximize = [params]
  constraints = [params(max=400)]
  seed = 3`,
      ),
    );
    const r = await runSearch({ spec, space });
    const log = r.problem.log;
    expect(log.length).toBeGreaterThan(5);
    expect(new Set(log.map((e) => e.index)).size).toBe(log.length);
    expect(new Set(log.map((e) => e.hash)).size).toBe(log.length);
    for (const e of log) {
      expect(e.feasible).toBe(true);
      expect(e.values['params']).toBeLessThanOrEqual(400);
    }
    // The space has 24 functions; the search meets only those within the limit, each once,
    // and gives iterations up when mutations find no new one.
    const within = new Set<string>();
    for (let i = 0n; i < space.size; i++) {
      const s = r.problem.statics(i);
      if ((s.values['params'] ?? Infinity) <= 400) within.add(s.hash!);
    }
    expect(within.size).toBeLessThan(24);
    expect(log.every((e) => within.has(e.hash!))).toBe(true);
    expect(r.outcome.notes.join('\n')).toMatch(/iterations found no new candidate/);
    expect(r.best!.values['params']).toBe(Math.max(...log.map((e) => e.values['params'] as number)));
    expect(log.slice(4).every((e) => e.phase === 'mutation' && e.parent !== undefined)).toBe(true);
  });

  it('keeps the Pareto front of several objectives', async () => {
    const { spec, space } = opened(
      withSearch(`  algorithm = evolution(population=6, iterations=60)
  maximize = [params]
  minimize = [macs]
  seed = 1`),
    );
    const r = await runSearch({ spec, space });
    const f = r.front;
    expect(f.length).toBeGreaterThan(0);
    for (const a of f)
      for (const b of r.problem.feasible()) {
        const better =
          (b.values['params'] as number) >= (a.values['params'] as number) &&
          (b.values['macs'] as number) <= (a.values['macs'] as number);
        const strictly =
          (b.values['params'] as number) > (a.values['params'] as number) ||
          (b.values['macs'] as number) < (a.values['macs'] as number);
        expect(better && strictly).toBe(false);
      }
  });
});

describe('flash', () => {
  // A truth that is exactly linear in the parameter count: the predictor must recover it.
  const truthOf: Measurer = async () => ({});
  it('fits its predictor by least squares on the candidates it evaluated', async () => {
    const { spec, space } = opened(
      withSearch(`  algorithm = flash(samples=8, initial=5, features=[params, macs], points=8, starts=2)
  maximize = [zico]
  seed = 2`),
    );
    // The costly objective stands in as a known function of the static values.
    const acc = (p: number, m: number) => 50 + 0.01 * p - 1e-4 * m + 0.3 * Math.sin(p);
    const measure: Measurer = async (index) => {
      const s = r0.statics(index);
      return { zico: acc(s.values['params']!, s.values['macs']!) };
    };
    const r0 = (await runSearch({ spec, space, measure: truthOf })).problem; // statics only (its zico fails)
    const r = await runSearch({ spec, space, measure });
    const log = r.problem.log;
    expect(log).toHaveLength(8);
    expect(log.slice(0, 5).every((e) => e.phase === 'sample')).toBe(true);
    expect(log.slice(5).every((e) => e.phase === 'proposal' && typeof e.predicted === 'number')).toBe(true);
    // The fit on all 8 samples, and the closed-form solution of the same problem: the normal
    // equations (AᵀA) w = Aᵀy, with A = [1, z(params), z(macs)], solved by Cramer's rule.
    const xs = log.map((e) => [e.values['params'] as number, e.values['macs'] as number]);
    const ys = log.map((e) => e.values['zico'] as number);
    const fit = fitPredictor(
      xs.map((x, i) => ({ x, y: ys[i]! })),
      ['params', 'macs'],
      'linear',
    );
    const a = xs.map((x) => [1, (x[0]! - fit.mean[0]!) / fit.std[0]!, (x[1]! - fit.mean[1]!) / fit.std[1]!]);
    const ata = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a.reduce((s, r) => s + r[i]! * r[j]!, 0)));
    const aty = [0, 1, 2].map((i) => a.reduce((s, r, k) => s + r[i]! * ys[k]!, 0));
    const det = (m: number[][]) =>
      m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
      m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
      m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
    const d = det(ata);
    const w = [0, 1, 2].map((c) => det(ata.map((row, i) => row.map((v, j) => (j === c ? aty[i]! : v)))) / d);
    fit.coef.forEach((c, i) => expect(c).toBeCloseTo(w[i]!, 8));
    const note = r.outcome.notes.find((n) => n.startsWith('predictor:'))!;
    expect(note).toContain(fit.coef[0]!.toPrecision(5));
  });
});

describe('least squares', () => {
  it('solves an exactly representable problem exactly, and a rank-deficient one with a zero coefficient', () => {
    const a = [
      [1, 0, 2],
      [1, 1, 3],
      [1, 2, 5],
      [1, 3, 4],
    ];
    const w = [0.5, -2, 3];
    const b = a.map((r) => r.reduce((s, v, i) => s + v * w[i]!, 0));
    leastSquares(a, b).forEach((c, i) => expect(c).toBeCloseTo(w[i]!, 10));
    const dup = a.map((r) => [...r, r[1]!]);
    const got = leastSquares(dup, b);
    expect(got[3]).toBe(0);
    got.slice(0, 3).forEach((c, i) => expect(c).toBeCloseTo(w[i]!, 10));
  });
});

describe('hardware cost models', () => {
  /** The model's coefficients on the raw features, the intercept first. */
  const raw = (f: Fit) => {
    const c = f.coef.slice(1).map((b, j) => b / f.std[j]!);
    return [f.coef[0]! - c.reduce((s, cj, j) => s + cj * f.mean[j]!, 0), ...c];
  };

  it('recovers a cost that is exactly linear with non-negative coefficients', () => {
    const xs = [
      [1e6, 3e5],
      [4e6, 1e5],
      [2e6, 8e5],
      [7e6, 2e5],
      [5e6, 6e5],
    ];
    const samples = xs.map((x) => ({ x, y: 5 + 2e-6 * x[0]! + 5e-6 * x[1]! }));
    const f = fitCostModel(samples, ['flops', 'activation_bytes']);
    raw(f).forEach((c, j) => expect(c).toBeCloseTo([5, 2e-6, 5e-6][j]!, 9));
    expect(f.rmse).toBeLessThan(1e-9);
    expect(predict(f, [3e6, 4e5])).toBeCloseTo(5 + 6 + 2, 9);
  });

  it('keeps every coefficient non-negative where least squares would not, at the constrained optimum', () => {
    // Cost rises with the first feature; the second is correlated with it and, on these noisy
    // samples, gets a negative slope from an unconstrained fit.
    const xs = [
      [1, 1],
      [2, 3],
      [3, 2],
      [4, 5],
      [5, 4],
      [6, 7],
    ];
    const ys = [10, 11, 14, 13, 17, 15];
    const samples = xs.map((x, i) => ({ x, y: ys[i]! }));
    const free = fitPredictor(samples, ['a', 'b'], 'linear');
    expect(Math.min(...free.coef.slice(1))).toBeLessThan(0);
    const f = fitCostModel(samples, ['a', 'b']);
    const c = raw(f);
    for (const cj of c) expect(cj).toBeGreaterThanOrEqual(-1e-12);
    expect(predict(f, [0, 0])).toBeGreaterThanOrEqual(-1e-9);
    // Karush–Kuhn–Tucker: with residuals r, Σ r·column is 0 for a positive coefficient and ≤ 0
    // for one held at zero (raising it could not reduce the squared error).
    const cols = [xs.map(() => 1), xs.map((x) => x[0]!), xs.map((x) => x[1]!)];
    const r = xs.map((x, i) => ys[i]! - predict(f, x));
    cols.forEach((col, j) => {
      const g = col.reduce((s, v, i) => s + v * r[i]!, 0);
      if (c[j]! > 1e-9) expect(Math.abs(g)).toBeLessThan(1e-7);
      else expect(g).toBeLessThanOrEqual(1e-7);
    });
    // And no better fit with non-negative coefficients on a grid around it.
    const sse = (w: number[]) => xs.reduce((s, x, i) => s + (w[0]! + w[1]! * x[0]! + w[2]! * x[1]! - ys[i]!) ** 2, 0);
    const best = sse(c);
    for (let a = 0; a <= 12; a += 0.25)
      for (let b1 = 0; b1 <= 3; b1 += 0.05)
        for (const b2 of [0, 0.05, 0.1]) expect(sse([a, b1, b2])).toBeGreaterThanOrEqual(best - 1e-9);
  });
});

describe('resuming', () => {
  it('continues a search cut at any step exactly as the uninterrupted one', async () => {
    const text = withSearch(`  algorithm = evolution(population=4, iterations=40, tournament=2)
  maximize = [params]
  minimize = [macs]
  seed = 7`);
    const whole: Evaluated[] = [];
    const { spec, space } = opened(text);
    await runSearch({ spec, space, onEvaluated: (e) => whole.push(e) });
    const wholeText = whole.map(logLine).join('\n') + '\n';
    for (const cut of [1, 5, whole.length - 1]) {
      // The file as a killed run leaves it: `cut` whole lines and half of the next.
      const lines = wholeText.split('\n');
      const torn = lines.slice(0, cut).join('\n') + '\n' + lines[cut]!.slice(0, 20);
      const log = readLog(torn);
      expect(log.rows).toHaveLength(cut);
      const again = opened(text);
      const more: Evaluated[] = [];
      const r = await runSearch({ ...again, replay: log.rows, onEvaluated: (e) => more.push(e) });
      expect(r.problem.replayed).toBe(cut);
      const resumed = torn.slice(0, log.complete) + more.map(logLine).join('\n') + '\n';
      expect(resumed).toBe(wholeText);
    }
  });

  it('refuses a log another search wrote', async () => {
    const a = opened(withSearch(`  algorithm = random(n=6)\n  maximize = [params]\n  seed = 1`));
    const log: Evaluated[] = [];
    await runSearch({ ...a, onEvaluated: (e) => log.push(e) });
    const b = opened(withSearch(`  algorithm = random(n=6)\n  maximize = [params]\n  seed = 2`));
    await expect(runSearch({ ...b, replay: log })).rejects.toThrow(/step 0 of the log is candidate/);
  });
});
