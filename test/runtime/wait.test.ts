// runtime/wait.ts: awaiting with the thread blocked in slices instead of a busy event loop.
import { describe, expect, it } from 'vitest';
import { canBlock, quietly } from '../../runtime/wait.js';

/** A promise settled the way Dawn's Node binding settles GPU promises: by checking every turn of the event loop. */
function polled(ms: number): Promise<number> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const tick = () => (performance.now() >= end ? resolve(42) : setImmediate(tick));
    tick();
  });
}

function measure<T>(f: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return f().then((value) => {
    const c = process.cpuUsage(c0);
    return { value, wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  });
}

describe('quietly', () => {
  it('may block here (Node)', () => {
    expect(canBlock).toBe(true);
  });

  it('awaits a polled promise without keeping the thread busy', async () => {
    const spun = await measure(() => polled(40));
    const quiet = await measure(() => quietly(polled(40)));
    expect(quiet.value).toBe(42);
    expect(quiet.wall).toBeGreaterThanOrEqual(39);
    expect(quiet.wall).toBeLessThan(80);
    // Plain awaiting turns the loop the whole time; blocked slices leave the core to others.
    expect(spun.cpu).toBeGreaterThan(0.4 * spun.wall);
    expect(quiet.cpu).toBeLessThan(0.3 * quiet.wall);
  });

  it('passes rejections through', async () => {
    await expect(quietly(Promise.reject(new Error('lost')))).rejects.toThrow('lost');
  });
});
