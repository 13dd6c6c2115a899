// How long a run sleeps before it awaits the GPU (see executor.ts: Dawn's Node binding spins
// the JS thread while a GPU promise is pending, and on a CPU adapter that thread takes a core
// from the driver). The best sleep is a little under the run's GPU time T: the run is then
// still busy on waking, the spin lasts only the short rest, and the run reports T.
//
// What a run tells: one still busy on waking ran its rest against the spinning thread, about
// twice as slow, so T ≈ asleep + rest/2. One already done on waking tells only that T was at
// most the sleep; it counts as a little less, so a sleep that has become too long shrinks.
// The sleep is a fraction of the median of the last few of these: one slow run (the machine
// is shared) moves it not at all. The rule it replaces took the last run's figure and shrank
// it by 7% per run, so one 20 ms hiccup in a 10 ms loop cost ten runs of oversleeping.
const WINDOW = 7;
/** Sleep this fraction of the expected GPU time. */
const LEAD = 0.95;
/** A run done on waking counts as this fraction of its sleep. */
const DONE = 0.8;
/** A run this close to done on waking (ms) counts as done. */
const SLACK = 0.25;

export class Pace {
  private readonly runs: number[] = [];

  /** Milliseconds to sleep before awaiting the next run (0 while nothing is known). */
  get sleepMs(): number {
    if (this.runs.length === 0) return 0;
    const sorted = [...this.runs].sort((a, b) => a - b);
    return LEAD * sorted[sorted.length >> 1]!;
  }

  /** The expected GPU time of a run, ms (0 while nothing is known). */
  get expectedMs(): number {
    return this.sleepMs / LEAD;
  }

  /**
   * Records a run: `slept` the sleep it was given, `asleep` the time from submit to waking,
   * `rest` the time from waking until the GPU promise resolved.
   */
  record(slept: number, asleep: number, rest: number): void {
    const done = slept > 0 && rest < SLACK;
    this.runs.push(done ? DONE * asleep : asleep + rest / 2);
    if (this.runs.length > WINDOW) this.runs.shift();
  }
}
