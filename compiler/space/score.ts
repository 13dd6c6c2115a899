// Scoring a space: the stream of candidates (every index, or a seeded sample), cut into a
// deterministic shard, minus what an earlier run already wrote, scored in worker threads (or
// in-process for small runs) and delivered in stream order, so a run's output does not
// depend on the number of workers.
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
   * Scoring threads, the main thread one of them (N − 1 worker threads are started); 0 or 1
   * scores in-process; default: every core, for runs big enough.
   */
  readonly workers?: number;
  readonly batch?: number;
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
  const wanted = run.measure ? 0 : (run.workers ?? (total >= 400 ? availableParallelism() : 0));
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
  const pool = Array.from({ length: workers }, () => new Worker(url!, { workerData: init }));
  const inflight = new Map<Worker, number>();
  // Set once the run has failed (a worker could not open the space): the main thread stops too.
  let failed = false;
  await new Promise<void>((resolve, reject) => {
    let live = pool.length;
    const feed = (w: Worker) => {
      while (!exhausted && (inflight.get(w) ?? 0) < IN_FLIGHT) {
        const chunk = take();
        if (chunk.length === 0) break;
        w.postMessage({ seq: nextSeq++, indices: chunk } satisfies WorkerRequest);
        inflight.set(w, (inflight.get(w) ?? 0) + 1);
      }
      if (exhausted && (inflight.get(w) ?? 0) === 0) w.postMessage({ done: true } satisfies WorkerRequest);
    };
    for (const w of pool) {
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
        if (--live === 0) resolve();
      });
    }
    // The main thread's share: a chunk at a time, yielding to the workers' messages between.
    const own = (): void => {
      if (exhausted || failed) return;
      const chunk = take();
      if (chunk.length > 0) {
        const seq = nextSeq++;
        deliver(
          seq,
          chunk.map((i) => scorer.score(BigInt(i))),
        );
      }
      // Workers that were idle at the end of the stream may be told they are done now.
      if (exhausted) for (const w of pool) if ((inflight.get(w) ?? 0) === 0) feed(w);
      setImmediate(own);
    };
    setImmediate(own);
  }).finally(() => {
    for (const w of pool) void w.terminate();
  });
  return { scored, skipped: skipped.n, ms: performance.now() - t0, threads: workers + 1 };
}
