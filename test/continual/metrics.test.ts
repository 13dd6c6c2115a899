// A_auc, A_last and F_last on a hand-made evaluation history.
import { describe, expect, it } from 'vitest';
import { streamMetrics, type Evaluation } from '../../compiler/drivers/continual/metrics.js';

const ev = (samples: number, accuracy: number, per: Record<number, number>): Evaluation => ({
  samples,
  accuracy,
  perClass: new Map(Object.entries(per).map(([k, v]) => [Number(k), v])),
});

describe('stream metrics', () => {
  it('averages accuracy over points, takes the last, and the mean drop from each class best', () => {
    const m = streamMetrics([
      ev(10, 0.9, { 0: 0.9 }),
      ev(20, 0.7, { 0: 0.6, 1: 0.8 }),
      ev(30, 0.5, { 0: 0.5, 1: 0.4, 2: 0.6 }),
    ]);
    expect(m.aAuc).toBeCloseTo(0.7);
    expect(m.aLast).toBe(0.5);
    // class 0: 0.9 → 0.5, class 1: 0.8 → 0.4; class 2 is new at the last point
    expect(m.fLast).toBeCloseTo(0.4);
  });
  it('is negative when a class improves (backward transfer), as the official code computes it', () => {
    expect(streamMetrics([ev(1, 0.5, { 0: 0.5 }), ev(2, 0.8, { 0: 0.8 })]).fLast).toBeCloseTo(-0.3);
  });
});
