// The samplers of anytime training draw what they claim: at a fixed seed, the empirical
// frequencies of TIPS's sampler and of the uniform one pass a chi-square test against the
// computed distributions; the sandwich always holds the largest and the smallest sub-network.
// The area under the accuracy–MACs staircase is checked on hand-made curves.
import { describe, expect, it } from 'vitest';
import { anytimeFamily, anytimeReport } from '../../compiler/anytime/analysis.js';
import { curveArea, paretoFront } from '../../compiler/anytime/curve.js';
import { extremes } from '../../compiler/anytime/family.js';
import { bindDims } from '../../compiler/analysis/summary.js';
import { SAMPLERS, type DrawContext } from '../../compiler/drivers/anytime/sampler.js';
import { rng } from '../../runtime/data/batches.js';
import { compileFile } from '../helpers/compile.js';

/** Pearson's chi-square statistic of counts against probabilities. */
function chiSquare(counts: readonly number[], p: readonly number[], n: number): number {
  return counts.reduce((a, o, i) => a + (o - n * p[i]!) ** 2 / (n * p[i]!), 0);
}

/** The 0.999 quantile of chi-square with 13 degrees of freedom (14 sub-networks). */
const CHI2_13_999 = 34.528;

describe('anytime samplers', () => {
  const g = compileFile('examples/anytime_resnet_fmnist.mdl').graph!;
  const f = anytimeFamily(g);
  const report = anytimeReport(g, bindDims(g, 1), f);
  const tips = report.subnets.map((s) => s.probability);
  const { largest, smallest } = extremes(f.subnets, f.structure);
  const ctx = (seed: number): DrawContext => ({ rng: rng(seed), subnets: tips.length, largest, smallest, tips });
  const N = 40_000;

  const counts = (name: keyof typeof SAMPLERS, seed: number) => {
    const c = ctx(seed);
    const out = new Array<number>(tips.length).fill(0);
    for (let i = 0; i < N; i++) for (const k of SAMPLERS[name].draw(c)) out[k]!++;
    return out;
  };

  it("TIPS's sampler matches the computed distribution (chi-square, fixed seed), and it is not uniform", () => {
    expect(tips).toHaveLength(14);
    const c = counts('tips', 7);
    expect(chiSquare(c, tips, N)).toBeLessThan(CHI2_13_999);
    // The same counts are far from uniform: the test can tell the two apart.
    expect(chiSquare(c, new Array(14).fill(1 / 14), N)).toBeGreaterThan(10 * CHI2_13_999);
  });

  it('the uniform sampler matches the uniform distribution', () => {
    expect(chiSquare(counts('uniform', 11), new Array(14).fill(1 / 14), N)).toBeLessThan(CHI2_13_999);
  });

  it('the sandwich: largest first, smallest last, two uniform draws between', () => {
    const c = ctx(3);
    const mid = new Array<number>(14).fill(0);
    let ends = 0;
    for (let i = 0; i < N / 2; i++) {
      const d = SAMPLERS.sandwich.draw(c);
      if (d.length === 4 && d[0] === largest && d[3] === smallest) ends++;
      mid[d[1]!]!++;
      mid[d[2]!]!++;
    }
    expect(ends).toBe(N / 2);
    expect(f.subnets[largest]!.name).toBe('output');
    expect(f.subnets[smallest]!.name).toBe('exit1 -skip1');
    expect(chiSquare(mid, new Array(14).fill(1 / 14), N)).toBeLessThan(CHI2_13_999);
  });
});

describe('accuracy–MACs curve', () => {
  it('the staircase keeps sub-networks that beat every cheaper one; its area is the mean best accuracy over budgets', () => {
    const pts = [
      { macs: 1, accuracy: 0.5 },
      { macs: 2, accuracy: 0.4 },
      { macs: 3, accuracy: 0.7 },
      { macs: 5, accuracy: 0.8 },
    ];
    expect(paretoFront(pts).map((p) => p.macs)).toEqual([1, 3, 5]);
    // 0.5 on [1, 3], 0.7 on [3, 5]: (1.0 + 1.4) / 4.
    expect(curveArea(pts)).toBeCloseTo(0.6, 12);
    // Better accuracy anywhere on the front raises the area; a dominated point changes nothing.
    expect(curveArea([...pts, { macs: 4, accuracy: 0.75 }])).toBeGreaterThan(curveArea(pts));
    expect(curveArea([...pts, { macs: 4, accuracy: 0.6 }])).toBeCloseTo(curveArea(pts), 12);
  });
});
