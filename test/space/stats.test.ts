// Rank statistics against direct O(n²) definitions, ties included, and known values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paretoFront } from '../../compiler/space/plot.js';
import { kendall, ranks, spearman, topKOverlap } from '../../compiler/space/stats.js';
import { parseCsv, readRows } from '../../compiler/space/table.js';

/** τ-b from its definition: (concordant − discordant) / √((n0 − n1)(n0 − n2)). */
function kendallDirect(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  let tx = 0;
  let ty = 0;
  const n = x.length;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const a = Math.sign(x[i]! - x[j]!);
      const b = Math.sign(y[i]! - y[j]!);
      s += a * b;
      if (a === 0) tx++;
      if (b === 0) ty++;
    }
  const n0 = (n * (n - 1)) / 2;
  return s / Math.sqrt((n0 - tx) * (n0 - ty));
}

const tiedPairs = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })), { minLength: 3, maxLength: 40 })
  .filter((ps) => new Set(ps.map((p) => p[0])).size > 1 && new Set(ps.map((p) => p[1])).size > 1);

describe('rank statistics', () => {
  it('Kendall τ-b equals its O(n²) definition, with ties', () => {
    fc.assert(
      fc.property(tiedPairs, (ps) => {
        const x = ps.map((p) => p[0]);
        const y = ps.map((p) => p[1]);
        expect(kendall(x, y)).toBeCloseTo(kendallDirect(x, y), 12);
      }),
      { numRuns: 300 },
    );
  });

  it("Spearman ρ: 1 for monotone data, −1 reversed, and scipy's value with ties", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 12);
    // scipy.stats.kendalltau([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9128709291752769
    expect(kendall([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9128709291752769, 12);
    expect(ranks([3, 1, 3, 2])).toEqual([3.5, 1, 3.5, 2]);
  });

  it('top-k overlap', () => {
    expect(topKOverlap([1, 2, 3, 4, 5], [10, 20, 30, 40, 50], 2)).toBe(1);
    expect(topKOverlap([5, 4, 3, 2, 1], [10, 20, 30, 40, 50], 2)).toBe(0);
    expect(topKOverlap([1, 5, 3, 4, 2], [10, 20, 30, 40, 50], 2)).toBe(0.5);
  });

  it('the Pareto front keeps the candidates no cheaper one beats', () => {
    expect(
      paretoFront([
        [3, 1],
        [1, 1],
        [2, 3],
        [4, 2],
        [5, 4],
        [2, 2],
      ]),
    ).toEqual([
      [1, 1],
      [2, 3],
      [5, 4],
    ]);
  });
});

describe('tables', () => {
  it('CSV with quotes, commas and CRLF', () => {
    expect(parseCsv('a,b\r\n"x,1","say ""hi"""\n3,\n')).toEqual([
      ['a', 'b'],
      ['x,1', 'say "hi"'],
      ['3', ''],
    ]);
  });

  it('result files: JSON lines (a torn last line is dropped) and CSV', () => {
    expect(readRows('{"index":1,"arch":"a","params":3}\n{"index":2,"ar')).toEqual([{ index: 1, arch: 'a', params: 3 }]);
    expect(readRows('index,arch,hash,params,error\n1,"a,b",ff,3,\n123456789012345678,c,ee,4,\n')).toEqual([
      { index: 1, arch: 'a,b', hash: 'ff', params: 3 },
      { index: '123456789012345678', arch: 'c', hash: 'ee', params: 4 },
    ]);
  });
});
