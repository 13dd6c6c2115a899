// runtime/wait.ts: awaiting with the thread blocked in slices instead of a busy event loop.
// Only what is deterministic is asserted here; how much CPU a wait saves is measured by
// `npm run bench` (test/bench/wait.ts), against a plain await in the same run.
import { describe, expect, it } from 'vitest';
import { canBlock, quietly } from '../../runtime/wait.js';

/**
 * A promise settled the way Dawn's Node binding settles GPU promises: by checking on every turn
 * of the event loop. It settles on the `turns`-th check, so it settles only if the loop turns.
 */
function polled(turns: number): { promise: Promise<number>; settled: () => boolean } {
  let done = false;
  const promise = new Promise<number>((resolve) => {
    let n = 0;
    const tick = () => {
      if (++n < turns) return void setImmediate(tick);
      done = true;
      resolve(42);
    };
    tick();
  });
  return { promise, settled: () => done };
}

describe('quietly', () => {
  it('may block here (Node)', () => {
    expect(canBlock).toBe(true);
  });

  it('lets the event loop turn, and returns the value once the polled promise has settled', async () => {
    const p = polled(50);
    expect(p.settled()).toBe(false);
    expect(await quietly(p.promise)).toBe(42);
    expect(p.settled()).toBe(true);
  });

  it('returns a timer-settled value after the timer fired', async () => {
    let fired = false;
    const timer = new Promise<string>((resolve) =>
      setTimeout(() => {
        fired = true;
        resolve('done');
      }, 5),
    );
    expect(await quietly(timer)).toBe('done');
    expect(fired).toBe(true);
  });

  it('passes an already settled value, and rejections, through', async () => {
    expect(await quietly(Promise.resolve(7))).toBe(7);
    await expect(quietly(Promise.reject(new Error('lost')))).rejects.toThrow('lost');
  });
});
