// The median that kernel timings and hardware measurements report.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median } from '../../runtime/median.js';

describe('median', () => {
  it('the middle sample, or the mean of the two middle ones, without reordering the input', () => {
    const xs = [5, 1, 4];
    expect(median(xs)).toBe(4);
    expect(xs).toEqual([5, 1, 4]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('has at least half the samples on each side', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 40 }), (xs) => {
        const m = median(xs);
        expect(xs.filter((x) => x <= m).length * 2).toBeGreaterThanOrEqual(xs.length);
        expect(xs.filter((x) => x >= m).length * 2).toBeGreaterThanOrEqual(xs.length);
      }),
      { numRuns: 100, seed: 5 },
    );
  });
});
