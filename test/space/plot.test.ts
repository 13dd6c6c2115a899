// The plots' axes: round tick values, and a truth axis that can start where most of the data is.
import { describe, expect, it } from 'vitest';
import { niceTicks, panelsSvg, percentile } from '../../compiler/space/plot.js';

const labels = (svg: string) => [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);

describe('plot axes', () => {
  it('ticks at multiples of 1, 2, 2.5 or 5 × 10^k inside the range', () => {
    expect(niceTicks(0.8537, 0.9412)).toEqual([0.86, 0.88, 0.9, 0.92, 0.94]);
    expect(niceTicks(9.7, 94.3)).toEqual([20, 40, 60, 80]);
    expect(niceTicks(0, 1e6)).toEqual([0, 200000, 400000, 600000, 800000, 1000000]);
    expect(niceTicks(-3, 7)).toEqual([-2, 0, 2, 4, 6]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('the percentile the truth axis starts at', () => {
    expect(percentile([5, 1, 4, 2, 3], 0)).toBe(1);
    expect(percentile([5, 1, 4, 2, 3], 40)).toBe(2);
    expect(percentile([5, 1, 4, 2, 3], 100)).toBe(5);
  });

  it('a clipped panel leaves the outliers out and says how many', () => {
    const points = [
      [1, 10],
      [2, 85],
      [3, 90],
      [4, 93],
    ] as const;
    const whole = panelsSvg([{ title: 't', xLabel: 'x', yLabel: 'y', points }]);
    const clipped = panelsSvg([{ title: 't', xLabel: 'x', yLabel: 'y', points, yFrom: 85 }]);
    expect(labels(whole)).toEqual(['20', '40', '60', '80']);
    expect(labels(clipped)).toEqual(['86', '88', '90', '92']);
    expect(clipped).toContain('t; 1 below 85');
    expect(clipped.match(/<circle/g)).toHaveLength(3);
  });
});
