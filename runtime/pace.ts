// How long a run sleeps on a timer before the executor starts waiting for the GPU (wait.ts):
// a little under the run's GPU time T, learnt from the runs. Sleeping on a timer costs
// nothing; waiting costs a wake-up every slice; so most of a run is slept and only its end is
// waited for. The figure is a fraction of the median of the last few runs' times: one slow
// run (the machine is shared) does not make the next ones oversleep, and a run already done
// when the thread wakes counts as a little less than its sleep, so a sleep that has become
// too long shrinks.
const WINDOW = 7;
/** Sleep this fraction of the expected GPU time. */
const LEAD = 0.9;
/** A run done on waking counts as this fraction of its sleep. */
const DONE = 0.8;
/** A run this close to done on waking (ms) counts as done. */
const SLACK = 0.2;

export class Pace {
  private readonly runs: number[] = [];

  /** Milliseconds to sleep before waiting for the next run (0 while nothing is known). */
  get sleepMs(): number {
    return LEAD * this.expectedMs;
  }

  /** The expected GPU time of a run, ms (0 while nothing is known). */
  get expectedMs(): number {
    if (this.runs.length === 0) return 0;
    const sorted = [...this.runs].sort((a, b) => a - b);
    return sorted[sorted.length >> 1]!;
  }

  /**
   * Records a run: `slept` the sleep it was given, `asleep` the time from submit to waking,
   * `rest` the time from waking until the GPU was done.
   */
  record(slept: number, asleep: number, rest: number): void {
    const done = slept > 0 && rest < SLACK;
    this.runs.push(done ? DONE * asleep : asleep + rest);
    if (this.runs.length > WINDOW) this.runs.shift();
  }
}
