// Awaiting the GPU without spinning. Dawn's Node binding keeps the JS event loop busy (it
// re-schedules its event processing every turn) while any GPU promise is pending; on a CPU
// adapter that thread takes a core from the driver's threads, and a 10 ms training step
// becomes 18 ms (shared/research/webgpu-on-cpu.md). Blocking the thread stops the loop and the
// spin: `quietly` blocks it in short slices (Atomics.wait, which the thread may do in Node) and
// lets the loop run one turn between slices, in which Dawn checks its events and resolves the
// promise. The thread then costs a few percent of a core, and a run that takes longer than
// expected costs nothing extra.
//
// Only Node needs it: browsers do not spin (and a browser's main thread may not block).
// `canBlock` says whether this is Node on a thread that may block.

const cell = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
const inNode =
  typeof process === 'object' && typeof process.versions?.node === 'string' && typeof setImmediate === 'function';

/** Whether this is Node, on a thread that may block on Atomics.wait. */
export const canBlock: boolean = (() => {
  if (!cell || !inNode) return false;
  try {
    Atomics.wait(cell, 0, 1, 0); // 'not-equal' at once where blocking is allowed; throws where not
    return true;
  } catch {
    return false;
  }
})();

/** Blocks the thread for `ms` milliseconds (fractions allowed); only where `canBlock`. */
function block(ms: number): void {
  if (cell && ms > 0) Atomics.wait(cell, 0, 0, ms);
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Awaits `p` with the thread blocked in slices, not spinning (see above). A slice is `sliceMs`
 * at first and grows to a tenth of the time waited so far (at most 2 ms): a long wait (a
 * pipeline compiling) wakes the thread less often, and still ends at most 10% late.
 */
export async function quietly<T>(p: Promise<T>, sliceMs = 0.2): Promise<T> {
  if (!canBlock) return p;
  let settled = false;
  const mark = () => {
    settled = true;
  };
  p.then(mark, mark);
  const t0 = performance.now();
  await turn();
  while (!settled) {
    block(Math.min(2, Math.max(sliceMs, (performance.now() - t0) / 10)));
    await turn();
  }
  return p;
}
