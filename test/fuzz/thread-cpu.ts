// CPU time of one thread, read from Linux's /proc. The fuzzer's hang verdict counts the CPU
// time the worker thread spent on an input, not wall-clock time: on a machine shared with other
// jobs (a CI runner, a developer's build), wall time per input grows with the load, and an
// input that needs 5 s of work would be called a hang at a load of 6. Where /proc is missing,
// `threadId` gives undefined and the caller falls back to wall time.
import { readFileSync } from 'node:fs';

/** The OS thread id of the calling thread (a worker asks this of itself), if /proc tells it. */
export function threadId(): number | undefined {
  try {
    const tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]);
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux's ABI). */
const TICKS_PER_S = 100;

/** User + system CPU milliseconds of thread `tid` of this process, or undefined once it is gone. */
export function threadCpuMs(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_S : undefined;
  } catch {
    return undefined;
  }
}
