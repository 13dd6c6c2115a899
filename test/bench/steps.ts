// Whole runs of a plan as the benches time them: 3 warm-up runs, then the median wall-clock
// time of `runs` back-to-back runs, each uploading its inputs and reading back `read` (every
// output when undefined). `see` gets each timed run's outputs after its time is taken.
import { performance } from 'node:perf_hooks';
import type { Executor, HostArray } from '../../runtime/executor.js';
import { median } from './peers/peer.js';

export async function timeRuns(
  ex: Executor,
  inputs: Record<string, HostArray>,
  read: readonly string[] | undefined,
  runs: number,
  see?: (out: Map<string, HostArray>) => void,
): Promise<number> {
  const req = { inputs, ...(read ? { read } : {}) };
  for (let i = 0; i < 3; i++) await ex.run(req);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const out = await ex.run(req);
    times.push(performance.now() - t);
    see?.(out);
  }
  return median(times);
}
