// The fuzzer's hang verdict reads a thread's CPU time from /proc: it must count work and not
// waiting, whatever else runs on the machine.
import { describe, expect, it } from 'vitest';
import { threadCpuMs, threadId } from './thread-cpu.js';

describe('thread CPU time', () => {
  const tid = threadId();

  it('this thread has an id and a CPU time on Linux', () => {
    expect(process.platform !== 'linux' || tid !== undefined).toBe(true);
    if (tid !== undefined) expect(threadCpuMs(tid)).toBeGreaterThanOrEqual(0);
    expect(threadCpuMs(2 ** 30)).toBeUndefined(); // no such thread
  });

  it('work counts, sleeping does not', async () => {
    if (tid === undefined) return;
    const t0 = threadCpuMs(tid)!;
    const start = Date.now();
    let x = 0;
    // busy until 100 ms of CPU are counted (ticks are 10 ms), however loaded the machine is
    while (threadCpuMs(tid)! - t0 < 100 && Date.now() - start < 60_000) for (let i = 0; i < 1e5; i++) x += i;
    expect(x).toBeGreaterThan(0);
    const t1 = threadCpuMs(tid)!;
    expect(t1 - t0).toBeGreaterThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 500));
    expect(threadCpuMs(tid)! - t1).toBeLessThan(250);
  });
});
