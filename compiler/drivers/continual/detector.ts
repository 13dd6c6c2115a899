// Online-LoRA's loss-plateau detector (after Aljundi et al.'s task-free continual learning): a
// sliding window of the last `length` training losses, with mean m and population variance v.
// A new peak is flagged when m rises above the last plateau's m + √v; a plateau is declared when
// a peak has been flagged since the last one and the window is low (m < meanThreshold) and flat
// (v < varThreshold). The window only judges once it is full. Pure and deterministic: the
// training loop feeds it one loss per step and consolidates when it answers `true`.

export interface DetectorSettings {
  readonly length: number;
  readonly meanThreshold: number;
  readonly varThreshold: number;
}

export interface WindowStats {
  readonly mean: number;
  readonly variance: number;
}

export class PlateauDetector {
  private readonly window: number[] = [];
  private last: WindowStats = { mean: 0, variance: 0 };
  private peak = false;

  constructor(readonly settings: DetectorSettings) {}

  /** The window's mean and population variance (undefined until it is full). */
  stats(): WindowStats | undefined {
    const w = this.window;
    if (w.length < this.settings.length) return undefined;
    const mean = w.reduce((a, x) => a + x, 0) / w.length;
    return { mean, variance: w.reduce((a, x) => a + (x - mean) ** 2, 0) / w.length };
  }

  /** Whether a peak has been flagged since the last plateau. */
  get peakFlagged(): boolean {
    return this.peak;
  }

  /** Adds one loss; true when it completes a plateau (the caller consolidates then). */
  push(loss: number): boolean {
    this.window.push(loss);
    if (this.window.length > this.settings.length) this.window.shift();
    const s = this.stats();
    if (!s) return false;
    if (!this.peak && s.mean > this.last.mean + Math.sqrt(this.last.variance)) this.peak = true;
    if (this.peak && s.mean < this.settings.meanThreshold && s.variance < this.settings.varThreshold) {
      this.last = s;
      this.peak = false;
      return true;
    }
    return false;
  }
}
