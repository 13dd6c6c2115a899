// The loss-plateau detector on synthetic loss streams (methods.md §7's test): a drop followed
// by a flat stretch triggers exactly one plateau per task, and nothing triggers without a peak
// since the last plateau.
import { describe, expect, it } from 'vitest';
import { PlateauDetector } from '../../compiler/drivers/continual/detector.js';

const settings = { length: 5, meanThreshold: 1.0, varThreshold: 0.05 };

/** Each task: a jump to `high`, an exponential decay, then a flat stretch at `low` with small noise. */
function tasks(n: number, steps = 40, high = 3, low = 0.2): number[] {
  const out: number[] = [];
  for (let t = 0; t < n; t++)
    for (let s = 0; s < steps; s++) out.push(low + (high - low) * Math.exp(-s / 4) + 0.01 * Math.sin(7 * s + t));
  return out;
}

function plateaus(losses: readonly number[]): number[] {
  const d = new PlateauDetector(settings);
  return losses.flatMap((l, i) => (d.push(l) ? [i] : []));
}

describe('plateau detector', () => {
  it('fires once per task, inside the flat stretch after the drop', () => {
    const p = plateaus(tasks(5));
    expect(p).toHaveLength(5);
    p.forEach((i, t) => {
      expect(i).toBeGreaterThanOrEqual(t * 40 + 5);
      expect(i).toBeLessThan((t + 1) * 40);
    });
  });

  it('does not fire again on a flat stretch without a new peak', () => {
    const flat = Array.from({ length: 200 }, (_, i) => 0.2 + 0.01 * Math.sin(i));
    const p = plateaus([...tasks(1), ...flat]);
    expect(p).toHaveLength(1);
  });

  it('does not fire while the loss stays high or noisy', () => {
    expect(plateaus(Array.from({ length: 100 }, () => 2.5))).toEqual([]);
    expect(plateaus(Array.from({ length: 100 }, (_, i) => 0.5 + (i % 2 ? 0.4 : -0.4)))).toEqual([]);
  });

  it('needs a full window before it judges, and a rise above the last plateau by one std', () => {
    const d = new PlateauDetector(settings);
    for (let i = 0; i < 4; i++) expect(d.push(0.1)).toBe(false);
    expect(d.stats()).toBeUndefined();
    // the first full window rises above the initial level (mean 0): a peak, and flat and low: a plateau
    expect(d.push(0.1)).toBe(true);
    expect(d.stats()!.mean).toBeCloseTo(0.1);
    // staying at or below the plateau's level is no new peak, so no second plateau
    for (let i = 0; i < 20; i++) expect(d.push(0.1 - (i % 2 ? 0.0001 : 0))).toBe(false);
    expect(d.peakFlagged).toBe(false);
    // a rise of the window mean above it (still too high for a plateau) is a new peak …
    for (let i = 0; i < 5; i++) expect(d.push(1.5)).toBe(false);
    expect(d.peakFlagged).toBe(true);
    // … and the next low, flat window is a plateau again
    expect([0.2, 0.2, 0.2, 0.2, 0.2].map((l) => d.push(l))).toEqual([false, false, false, false, true]);
  });
});
