// Scoring a space: the stream of candidates (every index, or a seeded sample), cut into a
// deterministic shard, minus what an earlier run already wrote, scored in the main thread and,
// where the run is long enough for them to pay (JOIN_AFTER_S) or they are asked for, in worker
// threads, and delivered in stream order, so a run's output does not depend on the number of
// workers.
//
// Protocol: each worker opens the space itself (workerData: file, space, proxies, batch),
// says `ready`, then answers every `{seq, indices}` with `{seq, rows}`. The main thread keeps
// a few chunks in flight per worker and re-orders the replies by `seq`. It scores chunks
// itself between messages: it has the space open already, so it starts at once, while each
// worker spends most of a second importing the compiler and opening the space before its
// first row (measured on NAS-Bench-201), and a thread that only waits wastes a core. So
// `workers: N` is N scoring threads, the main thread one of them.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Scorer, type Measure, type Row } from './evaluate.js';
import { indices, sharded, type OpenSpace } from './space.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker.js';

export interface ScoreRun {
  readonly space: OpenSpace;
  /** The file the space was opened from (workers open it again). */
  readonly file: string;
  readonly proxies: readonly string[];
  readonly sample?: number;
  readonly seed?: number;
  /** [shard, of], 0-based. */
  readonly shard?: readonly [number, number];
  /** Indices (as decimal strings) already scored: skipped. */
  readonly skip?: ReadonlySet<string>;
  /**
   * Scoring threads, the main thread one of them (N − 1 worker threads are started at once); 0
   * or 1 scores in-process; default: up to every core, the workers joining where the run is long
   * enough for them to pay (JOIN_AFTER_S).
   */
  readonly workers?: number;
  readonly batch?: number;
  /** Where `workers` is not given: the estimated rest of the run, in seconds, past which workers join (JOIN_AFTER_S). */
  readonly joinAfterS?: number;
  /**
   * Measures the data-dependent proxies (compiler/drivers/proxies). They run in-process, one candidate
   * at a time: the WebGPU adapter is one device, and a software adapter already uses every core.
   */
  readonly measure?: Measure;
  readonly onRow: (row: Row) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ScoreStats {
  readonly scored: number;
  readonly skipped: number;
  readonly ms: number;
  /** Threads that scored: 1 in-process, else the main thread and its workers. */
  readonly threads: number;
}

const CHUNK = 48;
const IN_FLIGHT = 3;
/**
 * By default workers join a run only where its rest would take the main thread longer than
 * this, estimated from its own rate over windows of WINDOW_MS once the rate has stopped rising.
 * A worker spends about a second importing the compiler and opening the space, then warms up as
 * the main thread did (its traces, expansions and optimised code are its own), while on two
 * cores that share their caches two threads score at 1.3–1.5× one thread's rate: on this
 * project's 2-core machine a whole NAS-Bench-201 run (about 4 s in one thread) finished later
 * with a worker than without one, and a run of candidates that are elaborated in full, each
 * tens of milliseconds, finished sooner.
 */
const JOIN_AFTER_S = 8;
const WINDOW_MS = 250;

/** How many candidates the run's stream holds (before skipping). */
export function streamLength(
  size: bigint,
  sample: number | undefined,
  shard: readonly [number, number] = [0, 1],
): bigint {
  const n = sample === undefined || BigInt(sample) > size ? size : BigInt(sample);
  const [i, of] = shard;
  const k = BigInt(i);
  return n > k ? (n - k + BigInt(of) - 1n) / BigInt(of) : 0n;
}

function* work(run: ScoreRun, skipped: { n: number }): Generator<bigint> {
  const [shard, of] = run.shard ?? [0, 1];
  for (const i of sharded(indices(run.space.size, run.sample, run.seed ?? 0), shard, of)) {
    if (run.skip?.has(i.toString())) {
      skipped.n++;
      continue;
    }
    yield i;
  }
}

/** The compiled worker next to this module, when there is one (not when run from sources). */
function workerFile(): URL | undefined {
  const url = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export async function scoreSpace(run: ScoreRun): Promise<ScoreStats> {
  const t0 = performance.now();
  const length = streamLength(run.space.size, run.sample, run.shard);
  const total = Number(length) - (run.skip?.size ?? 0);
  const url = workerFile();
  const wanted = run.measure ? 0 : (run.workers ?? availableParallelism());
  const threads = url ? Math.max(0, Math.min(wanted, Math.ceil(Math.max(total, 1) / CHUNK))) : 0;
  const workers = threads > 1 ? threads - 1 : 0;
  const skipped = { n: 0 };
  let scored = 0;
  const progress = () => run.onProgress?.(scored, Math.max(total, scored));
  const scorer = new Scorer(run.space, run.proxies, run.batch ?? 1);
  if (workers === 0) {
    for (const i of work(run, skipped)) {
      run.onRow(run.measure ? await scorer.scoreWith(i, run.measure) : scorer.score(i));
      scored++;
      if (run.measure || scored % 64 === 0) progress();
    }
    progress();
    return { scored, skipped: skipped.n, ms: performance.now() - t0, threads: 1 };
  }
  const it = work(run, skipped);
  let nextSeq = 0;
  let emitSeq = 0;
  let taken = 0;
  let exhausted = false;
  const pending = new Map<number, readonly Row[]>();
  /** Chunks come off the stream in order: their rows are emitted by `seq`, whoever scored them. */
  const take = (): string[] => {
    const chunk: string[] = [];
    while (chunk.length < CHUNK) {
      const n = it.next();
      if (n.done) {
        exhausted = true;
        break;
      }
      chunk.push(n.value.toString());
    }
    taken += chunk.length;
    return chunk;
  };
  const deliver = (seq: number, rows: readonly Row[]) => {
    pending.set(seq, rows);
    while (pending.has(emitSeq)) {
      const ready = pending.get(emitSeq)!;
      pending.delete(emitSeq++);
      for (const r of ready) run.onRow(r);
      scored += ready.length;
    }
    progress();
  };
  const init: WorkerInit = { file: run.file, space: run.space.def.name, proxies: run.proxies, batch: run.batch ?? 1 };
  const pool: Worker[] = [];
  const inflight = new Map<Worker, number>();
  // Set once the run has failed (a worker could not open the space): the main thread stops too.
  let failed = false;
  await new Promise<void>((resolve, reject) => {
    let live = 0;
    let ownDone = false;
    const finish = () => {
      if (ownDone && live === 0) resolve();
    };
    const feed = (w: Worker) => {
      while (!exhausted && (inflight.get(w) ?? 0) < IN_FLIGHT) {
        const chunk = take();
        if (chunk.length === 0) break;
        w.postMessage({ seq: nextSeq++, indices: chunk } satisfies WorkerRequest);
        inflight.set(w, (inflight.get(w) ?? 0) + 1);
      }
      if (exhausted && (inflight.get(w) ?? 0) === 0) w.postMessage({ done: true } satisfies WorkerRequest);
    };
    const spawn = () => {
      for (let k = 0; k < workers; k++) {
        const w = new Worker(url!, { workerData: init });
        pool.push(w);
        live++;
        w.on('message', (m: WorkerReply) => {
          if ('failed' in m) {
            failed = true;
            return reject(new Error(m.failed));
          }
          if ('ready' in m) return feed(w);
          inflight.set(w, inflight.get(w)! - 1);
          deliver(m.seq, m.rows as Row[]);
          feed(w);
        });
        w.on('error', (e) => {
          failed = true;
          reject(e);
        });
        w.on('exit', () => {
          live--;
          finish();
        });
      }
    };
    // Workers asked for are started at once. By default they join only where the rest of the
    // stream would take this thread longer than JOIN_AFTER_S (see there): a worker's start-up
    // would cost a short run more than it saves.
    let decided = run.workers !== undefined;
    if (decided) spawn();
    let ownMs = 0;
    let ownRows = 0;
    let window = { ms: 0, rows: 0 };
    let lastRate: number | undefined;
    let windows = 0;
    // The main thread's share: a chunk at a time, yielding to the workers' messages between.
    const own = (): void => {
      if (failed) return;
      if (exhausted) {
        ownDone = true;
        return finish();
      }
      const c0 = performance.now();
      const chunk = take();
      if (chunk.length > 0) {
        const seq = nextSeq++;
        deliver(
          seq,
          chunk.map((i) => scorer.score(BigInt(i))),
        );
      }
      ownMs += performance.now() - c0;
      ownRows += chunk.length;
      // The rate is measured over windows of this thread's scoring, and trusted once it has
      // stopped rising: the first stretch records traces and makes expansions (NAS-Bench-201's
      // first hundreds of candidates cost several times the later ones, and a fresh process's
      // code is not optimised yet).
      if (!decided && !exhausted && ownMs - window.ms >= WINDOW_MS) {
        const rate = (ownRows - window.rows) / (ownMs - window.ms);
        window = { ms: ownMs, rows: ownRows };
        windows++;
        // Trusted once it rose less than a tenth, or after four windows whatever it does.
        const settled = lastRate !== undefined && (rate < 1.1 * lastRate || windows >= 4);
        if (settled && (total - taken) / rate > (run.joinAfterS ?? JOIN_AFTER_S) * 1000) {
          decided = true;
          spawn();
        }
        lastRate = rate;
      }
      // Workers that were idle at the end of the stream may be told they are done now.
      if (exhausted) for (const w of pool) if ((inflight.get(w) ?? 0) === 0) feed(w);
      setImmediate(own);
    };
    setImmediate(own);
  }).finally(() => {
    for (const w of pool) void w.terminate();
  });
  return { scored, skipped: skipped.n, ms: performance.now() - t0, threads: pool.length + 1 };
}
