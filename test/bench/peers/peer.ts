// What `npm run bench` asks of a peer framework (TF.js, jax-js): the same work as mdl's own
// rows, described once here so every peer builds the same shapes, layers, loss and optimizer.
//
// One training step = upload the batch (inputs and integer labels, as mdl's executor uploads
// them every run) + forward + mean softmax cross-entropy + backward + SGD with momentum 0.9
// (PyTorch's form, dampening 0: v = μv + g, p -= lr·v, lr 0.01) + read the loss back, so the
// step has really finished on the device when the clock stops. Peers lay images out as their
// framework prefers (NHWC for TF.js); that changes no FLOP count.
import { performance } from 'node:perf_hooks';

export type WorkloadKind = 'mlp' | 'small_cnn' | 'lenet5' | 'matmul';

export interface Workload {
  readonly kind: WorkloadKind;
  /** Batch size of a training step; unused for the matmul. */
  readonly batch: number;
}

/** A peer's time for one workload, or why it has none (a real error or limitation, never a guess). */
export type PeerResult = { readonly ms: number; readonly runs: number } | { readonly reason: string };

export interface Peer {
  /** Column title, e.g. `tfjs-webgpu`. */
  readonly name: string;
  time(w: Workload): Promise<PeerResult>;
  close(): Promise<void>;
}

export const LR = 0.01;
export const MOMENTUM = 0.9;
export const CLASSES = 10;

/** Deterministic pseudo-random data in [-1, 1), so every peer sees the same kind of input. */
export function randomF32(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

export const labelsI32 = (n: number): Int32Array => Int32Array.from({ length: n }, (_, k) => k % CLASSES);

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Warm up, then the median of back-to-back runs. Slow peers (TF.js's cpu backend takes seconds
 * per CNN step) get fewer runs within `budgetMs` so the whole bench stays within minutes: at
 * least `minRuns` timed runs, or one after the warm-up where that alone took over 2 s (a step
 * that long varies by a few per cent, far less than the ratios it is compared by), or only the
 * first where it took over 10 s.
 */
export async function timeRuns(
  run: () => Promise<void>,
  opts: { runs: number; warmup?: number; budgetMs?: number; minRuns?: number },
): Promise<{ ms: number; runs: number }> {
  const budget = opts.budgetMs ?? 8000;
  let t = performance.now();
  await run();
  const first = performance.now() - t;
  // A step of over 10 s (TF.js's cpu backend on a loaded machine) is timed once: its warm-up
  // costs are a rounding error there, and a second run would double the bench's length.
  if (first > 10_000) return { ms: first, runs: 1 };
  // A first run of over a second says enough of warm-up; fast peers get the full count.
  const warmup = first > 1000 ? 0 : (opts.warmup ?? 3) - 1;
  const minRuns = first > 2000 ? 1 : (opts.minRuns ?? 3);
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < opts.runs && (times.length < minRuns || performance.now() - start < budget)) {
    t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { ms: median(times), runs: times.length };
}

/**
 * The losses a timed training loop saw. Every run trains on the same batch, so a step that does
 * its work lowers the loss; one that does not (a wrong gradient, a NaN) gets no time.
 */
export class LossWatch {
  private first: number | undefined;
  private last: number | undefined;
  private steps = 0;

  see(loss: ArrayLike<number>): void {
    this.first ??= loss[0]!;
    this.last = loss[0]!;
    this.steps++;
  }

  /** Why the timings should not count, or undefined when the loss fell as it should. */
  problem(): string | undefined {
    const [a, b] = [this.first, this.last];
    if (a === undefined || b === undefined) return 'no loss was read back';
    if (!Number.isFinite(b)) return `the loss is ${b}`;
    // A step timed once (over 10 s) has no second loss to compare; a finite one is all it shows.
    if (this.steps === 1) return undefined;
    return b < a ? undefined : `the loss did not fall over the timed steps (${a.toFixed(4)} → ${b.toFixed(4)})`;
  }
}

/** The message of whatever a peer threw, on one line, for the bench table's notes. */
export function reasonOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 200);
}
