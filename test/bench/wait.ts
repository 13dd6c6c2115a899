// `npm run bench`, awaiting the GPU: what `quietly` (runtime/wait.ts) saves. A promise settled
// the way Dawn's Node binding settles GPU promises (checked on every turn of the event loop) is
// awaited plainly, which keeps the thread busy, and through `quietly`, which blocks it in
// slices; both in this process, back to back. The figures are CPU time as a share of the wall
// time, how late the wait returns, and the ratio plain CPU / quiet CPU. Timings are reported,
// never asserted: on a loaded machine they drift, the ratio much less.
import { performance } from 'node:perf_hooks';
import { quietly } from '../../runtime/wait.js';
import { median } from './peers/peer.js';

const WAIT_MS = 40;
const RUNS = 9;
/** The aims: a quiet wait uses under 30% of a core and returns within 10 ms of the promise. */
const AIM_CPU_SHARE = 0.3;
const AIM_LATE_MS = 10;

/** Settles with 42 once `ms` have passed, checking every turn of the event loop, as Dawn does. */
function polled(ms: number): Promise<number> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const tick = () => (performance.now() >= end ? resolve(42) : setImmediate(tick));
    tick();
  });
}

async function measure(wait: (p: Promise<number>) => Promise<number>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await wait(polled(WAIT_MS));
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

export async function benchWait(): Promise<void> {
  const plain: { wall: number; cpu: number }[] = [];
  const quiet: { wall: number; cpu: number }[] = [];
  // Interleaved, so a change of the machine's load touches both alike.
  for (let i = 0; i < RUNS; i++) {
    plain.push(await measure((p) => p));
    quiet.push(await measure((p) => quietly(p)));
  }
  const row = (name: string, runs: typeof plain) => {
    const wall = median(runs.map((r) => r.wall));
    const cpu = median(runs.map((r) => r.cpu));
    return { name, wall, cpu, share: cpu / wall, late: wall - WAIT_MS };
  };
  const p = row('plain await', plain);
  const q = row('quietly', quiet);
  console.log(`\nawaiting a promise polled every event-loop turn, settled after ${WAIT_MS} ms (median of ${RUNS})`);
  console.log(
    `${'wait'.padEnd(12)} ${'wall ms'.padStart(8)} ${'late ms'.padStart(8)} ${'CPU ms'.padStart(8)} ${'CPU share'.padStart(10)}`,
  );
  for (const r of [p, q])
    console.log(
      `${r.name.padEnd(12)} ${r.wall.toFixed(1).padStart(8)} ${r.late.toFixed(1).padStart(8)} ${r.cpu.toFixed(1).padStart(8)} ${`${(100 * r.share).toFixed(0)}%`.padStart(10)}`,
    );
  const ratio = p.cpu / Math.max(q.cpu, 1e-3);
  const met = q.share < AIM_CPU_SHARE && q.late < AIM_LATE_MS;
  console.log(
    `quietly uses ${ratio.toFixed(1)}× less CPU than a plain await (aim: under ${100 * AIM_CPU_SHARE}% of a core, under ${AIM_LATE_MS} ms late): ${met ? 'met' : 'MISSED'}`,
  );
}
