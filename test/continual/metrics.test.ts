// A_auc, A_last and F_last on a hand-made evaluation history, as the official Si-Blurry trainer
// computes them: A_auc over the periodic points, F_last from the ends of tasks only.
import { describe, expect, it } from 'vitest';
import { streamMetrics, type Evaluation } from '../../compiler/drivers/continual/metrics.js';

const ev = (
  samples: number,
  accuracy: number,
  per: Record<number, number>,
  at: { periodic?: boolean; taskEnd?: boolean } = {},
): Evaluation => ({
  samples,
  accuracy,
  perClass: new Map(Object.entries(per).map(([k, v]) => [Number(k), v])),
  periodic: at.periodic ?? true,
  taskEnd: at.taskEnd ?? true,
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
  it('takes the best accuracy of a class from the ends of tasks only, and A_auc from periodic points', () => {
    const m = streamMetrics([
      // a periodic point inside the first task: class 0 at 1.0 there does not count for F_last
      ev(5, 1.0, { 0: 1.0 }, { taskEnd: false }),
      ev(10, 0.6, { 0: 0.6 }, { periodic: false }),
      ev(20, 0.5, { 0: 0.4, 1: 0.6 }),
    ]);
    expect(m.fLast).toBeCloseTo(0.2);
    expect(m.aAuc).toBeCloseTo(0.75);
  });
  it('leaves out classes never learnt before the end (best accuracy 0), as the official code does', () => {
    const m = streamMetrics([ev(10, 0.4, { 0: 0.8, 1: 0 }), ev(20, 0.3, { 0: 0.5, 1: 0.1 })]);
    expect(m.fLast).toBeCloseTo(0.3);
  });
});
