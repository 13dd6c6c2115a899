// The executor's pacing (runtime/pace.ts) on a simulated adapter: a run takes T ms of GPU time;
// the thread sleeps what the pace says, then waits (quietly, runtime/wait.ts) for the rest.
import { describe, expect, it } from 'vitest';
import { Pace } from '../../runtime/pace.js';

/** One simulated run of GPU time `t` under `pace`; returns its wall time. */
function run(pace: Pace, t: number): number {
  const slept = pace.sleepMs > 0.5 ? pace.sleepMs : 0;
  const rest = slept >= t ? 0 : t - slept;
  const asleep = slept > 0 ? slept : 0;
  pace.record(slept, asleep, rest);
  return asleep + rest;
}

describe('pace', () => {
  it('settles a little under the GPU time, so a run costs about its GPU time', () => {
    const pace = new Pace();
    const walls: number[] = [];
    for (let i = 0; i < 20; i++) walls.push(run(pace, 10));
    expect(pace.expectedMs).toBeGreaterThan(9.5);
    expect(pace.expectedMs).toBeLessThan(10.5);
    expect(pace.sleepMs).toBeLessThan(10);
    for (const w of walls.slice(5)) expect(w).toBeLessThan(10.2);
  });

  it('one slow run does not make the next runs oversleep', () => {
    const pace = new Pace();
    for (let i = 0; i < 10; i++) run(pace, 10);
    run(pace, 40);
    const after = Array.from({ length: 5 }, () => run(pace, 10));
    for (const w of after) expect(w).toBeLessThan(10.2);
  });

  it('follows a lasting change of the GPU time both ways', () => {
    const pace = new Pace();
    for (let i = 0; i < 10; i++) run(pace, 10);
    for (let i = 0; i < 10; i++) run(pace, 20);
    expect(pace.expectedMs).toBeGreaterThan(19);
    // Faster runs are done before the thread wakes: the sleep must shrink to them.
    for (let i = 0; i < 30; i++) run(pace, 5);
    expect(pace.expectedMs).toBeLessThan(5.5);
    expect(run(pace, 5)).toBeLessThan(5.3);
  });
});
