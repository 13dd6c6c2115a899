// The fuzzer: a seeded stream of inputs (./generate.ts) run through the stages (./stages.ts)
// in one worker thread at a time, each under a time and a memory budget. What it counts:
// - internal errors: a stage threw something that is not a coded user error;
// - hangs: an input ran past the time budget (the worker is terminated and replaced). The
//   budget is CPU time of the worker thread where Linux's /proc gives it (./thread-cpu.ts), so
//   the verdict does not depend on what else the machine runs; wall time past `wallFactor`
//   times the budget is a hang too (an input blocked without using CPU). Elsewhere, wall time;
// - memory blow-ups: the worker ran out of its heap limit (it dies; a new one takes over).
// Inputs are sent in order and the stream is a pure function of the seed, so every figure and
// every failure reproduces.
import { Worker } from 'node:worker_threads';
import { sampleInputs, seedPrograms } from './generate.js';
import { STAGES, type Stage } from './stages.js';
import { threadCpuMs } from './thread-cpu.js';
import type { Answer, Hello } from './worker.js';

export interface FuzzOptions {
  /** The repository root (examples/ and stdlib/ seed the mutations). */
  readonly root: string;
  /** The compiled worker (dist/test/fuzz/worker.js). */
  readonly worker: string | URL;
  readonly runs: number;
  readonly seed: number;
  readonly stages?: readonly Stage[];
  /** Budget per input, all its stages together: CPU time of the worker thread where measurable, else wall time. */
  readonly timeoutMs: number;
  /** Wall time allowed per input, as a multiple of `timeoutMs`, where the budget is CPU time (default 10). */
  readonly wallFactor?: number;
  /** The worker's heap limit. */
  readonly memoryMb: number;
  /** Inputs are generated and sent in chunks of this many (the stream is the same). */
  readonly chunk?: number;
  /**
   * The first input to run, a multiple of `chunk`: a long run split across processes runs the
   * same stream, each process its own range of it (`runs` counts from 0, not from here).
   */
  readonly from?: number;
  readonly onProgress?: (done: number, report: FuzzReport) => void;
}

export interface Failure {
  readonly index: number;
  readonly input: string;
  readonly stage?: Stage;
  readonly detail: string;
}

export interface FuzzReport {
  readonly inputs: number;
  /** Inputs every stage accepted. */
  readonly clean: number;
  /** Inputs some stage reported coded user errors for. */
  readonly userErrors: number;
  readonly internal: Failure[];
  readonly hangs: Failure[];
  readonly memory: Failure[];
  /** Wall-clock time of the whole run and of the slowest input. */
  readonly ms: number;
  readonly slowest: { readonly index: number; readonly ms: number };
  /** The most heap the worker held after an input. */
  readonly maxHeapMb: number;
  /** Diagnostic codes seen, with how often (what the stream exercised). */
  readonly codes: Map<string, number>;
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const stages = opts.stages ?? STAGES;
  const seeds = seedPrograms(opts.root);
  const report = {
    inputs: 0,
    clean: 0,
    userErrors: 0,
    internal: [] as Failure[],
    hangs: [] as Failure[],
    memory: [] as Failure[],
    ms: 0,
    slowest: { index: -1, ms: 0 },
    maxHeapMb: 0,
    codes: new Map<string, number>(),
  };
  const t0 = performance.now();
  let worker: Worker | undefined;
  /** Each worker's OS thread id, once its first message has said it. */
  const tids = new WeakMap<Worker, number | undefined>();
  const start = () => {
    const w = new Worker(opts.worker, {
      // A worker thread's stack is 4 MB by default, four times the main thread's (V8's 984 KB),
      // which is where `mdl` runs: a fuzzing input that overflowed the command's stack passed
      // in the worker, slowly enough to be taken for a hang. 1 MB reaches a little less deep
      // than the main thread, so the worker errs on the side of reporting.
      resourceLimits: { maxOldGenerationSizeMb: opts.memoryMb, maxYoungGenerationSizeMb: 64, stackSizeMb: 1 },
    });
    w.once('message', (h: Hello) => tids.set(w, h.tid));
    return w;
  };
  /** Resolves when the worker has said which thread it is (or has died trying). */
  const ready = (w: Worker): Promise<void> =>
    tids.has(w)
      ? Promise.resolve()
      : new Promise((resolve) => {
          const done = () => {
            w.off('message', done);
            w.off('exit', done);
            resolve();
          };
          w.on('message', done);
          w.once('exit', done);
        });
  const wallFactor = opts.wallFactor ?? 10;

  /** One input: its answer, or why there is none ('hang', or the worker's death). */
  const runOne = async (id: number, text: string): Promise<Answer | { died: 'hang' | 'memory'; detail: string }> => {
    const w = (worker ??= start());
    await ready(w);
    const tid = tids.get(w);
    const cpuAt = () => (tid === undefined ? undefined : threadCpuMs(tid));
    const cpu0 = cpuAt();
    const t0 = performance.now();
    return new Promise((resolve) => {
      const done = (r: Answer | { died: 'hang' | 'memory'; detail: string }) => {
        clearInterval(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (a: Answer) => done(a);
      const onError = (e: Error) => {
        worker = undefined;
        const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        done({ died: 'memory', detail: oom ? `out of the ${opts.memoryMb} MB heap` : (e.stack ?? e.message) });
      };
      const onExit = (code: number) => {
        worker = undefined;
        done({ died: 'memory', detail: `the worker exited with code ${code}` });
      };
      // Checked a few times a second: the thread's CPU time against the budget (and wall time
      // against its multiple), or wall time alone where CPU time cannot be read.
      const timer = setInterval(
        () => {
          const wall = performance.now() - t0;
          const now = cpuAt();
          const cpu = cpu0 === undefined || now === undefined ? undefined : now - cpu0;
          const over =
            cpu === undefined
              ? wall > opts.timeoutMs && `still running after ${opts.timeoutMs} ms`
              : cpu > opts.timeoutMs
                ? `still running after ${opts.timeoutMs} ms of CPU time (${Math.round(wall)} ms wall)`
                : wall > wallFactor * opts.timeoutMs &&
                  `still running after ${Math.round(wall)} ms wall (${cpu} ms CPU)`;
          if (!over) return;
          worker = undefined;
          w.off('exit', onExit);
          void w.terminate();
          done({ died: 'hang', detail: over });
        },
        Math.min(250, opts.timeoutMs),
      );
      w.on('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.postMessage({ id, text, stages });
    });
  };

  const chunk = opts.chunk ?? 500;
  const first = opts.from ?? 0;
  if (first % chunk !== 0)
    throw new Error(`fuzz: the first input (${first}) must be a multiple of the chunk (${chunk})`);
  try {
    for (let from = first; from < opts.runs; from += chunk) {
      // The stream is sampled in chunks with seeds derived from the run's seed: the same inputs
      // on every run, without holding 100,000 programs in memory.
      const inputs = sampleInputs(seeds, Math.min(chunk, opts.runs - from), opts.seed + from);
      for (const [k, text] of inputs.entries()) {
        const index = from + k;
        const r = await runOne(index, text);
        report.inputs++;
        if ('died' in r) {
          (r.died === 'hang' ? report.hangs : report.memory).push({ index, input: text, detail: r.detail });
          continue;
        }
        if (r.ms > report.slowest.ms) report.slowest = { index, ms: r.ms };
        report.maxHeapMb = Math.max(report.maxHeapMb, r.heapMb);
        let user = false;
        for (const [stage, o] of r.outcomes) {
          if (o.kind === 'internal') report.internal.push({ index, input: text, stage, detail: o.error ?? '' });
          if (o.kind === 'user') {
            user = true;
            for (const c of o.codes ?? []) report.codes.set(c, (report.codes.get(c) ?? 0) + 1);
          }
        }
        if (!r.outcomes.some(([, o]) => o.kind === 'internal')) {
          if (user) report.userErrors++;
          else report.clean++;
        }
      }
      report.ms = performance.now() - t0;
      opts.onProgress?.(report.inputs, report);
    }
  } finally {
    await worker?.terminate();
  }
  report.ms = performance.now() - t0;
  return report;
}

/** The figures of a run, in a few lines. */
export function describeReport(r: FuzzReport, seed: number): string {
  const top = [...r.codes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  return [
    `fuzz: ${r.inputs.toLocaleString('en')} inputs (seed ${seed}) in ${(r.ms / 1000).toFixed(1)} s: ` +
      `${r.clean.toLocaleString('en')} accepted, ${r.userErrors.toLocaleString('en')} with coded user errors`,
    `internal errors ${r.internal.length}, hangs ${r.hangs.length}, memory blow-ups ${r.memory.length}; ` +
      `slowest input #${r.slowest.index} ${(r.slowest.ms / 1000).toFixed(2)} s, most heap ${r.maxHeapMb.toFixed(0)} MB`,
    `codes: ${top}`,
  ].join('\n');
}
