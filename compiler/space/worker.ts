// A scoring worker thread: opens the space once, then scores the chunks of indices the main
// thread sends, answering each with its rows. See score.ts for the protocol.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { nodeHost } from '../modules/node-host.js';
import { Scorer } from './evaluate.js';
import { openSpace } from './space.js';

export interface WorkerInit {
  readonly file: string;
  readonly space: string;
  readonly proxies: readonly string[];
  readonly batch: number;
}

export type WorkerRequest = { readonly seq: number; readonly indices: readonly string[] } | { readonly done: true };
export type WorkerReply =
  { readonly seq: number; readonly rows: readonly object[] } | { readonly ready: true } | { readonly failed: string };

const init = workerData as WorkerInit;
const port = parentPort!;
const opened = openSpace({ path: init.file, text: readFileSync(init.file, 'utf8') }, nodeHost, init.space);
if (!opened.space) {
  port.postMessage({ failed: `cannot open space ${init.space} of ${init.file}` } satisfies WorkerReply);
} else {
  const scorer = new Scorer(opened.space, init.proxies, init.batch);
  port.on('message', (m: WorkerRequest) => {
    if ('done' in m) {
      port.close();
      return;
    }
    const rows = m.indices.map((i) => scorer.score(BigInt(i)));
    port.postMessage({ seq: m.seq, rows } satisfies WorkerReply);
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}
