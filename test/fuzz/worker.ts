// The fuzzer's worker thread: runs each input it is sent through the stages and answers with
// the outcomes, the time it took and the heap it holds. It runs under the runner's memory limit
// (a blow-up kills the worker, not the run) and watchdog (a hang is terminated).
import { parentPort } from 'node:worker_threads';
import { runStages, type Stage } from './stages.js';
import { threadId } from './thread-cpu.js';

export interface Job {
  readonly id: number;
  readonly text: string;
  readonly stages: readonly Stage[];
}

export interface Answer {
  readonly id: number;
  readonly outcomes: readonly [Stage, { kind: string; codes?: readonly string[]; error?: string }][];
  readonly ms: number;
  readonly heapMb: number;
}

/** The first message: which OS thread to watch (undefined where /proc does not say). */
export interface Hello {
  readonly hello: true;
  readonly tid: number | undefined;
}
parentPort!.postMessage({ hello: true, tid: threadId() } satisfies Hello);

parentPort!.on('message', (job: Job) => {
  const t0 = performance.now();
  void runStages(job.text, job.stages).then((r) => {
    const answer: Answer = {
      id: job.id,
      outcomes: [...r],
      ms: performance.now() - t0,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
    };
    parentPort!.postMessage(answer);
  });
});
