// Scoring threads by default (compiler/space/score.ts): a run starts in the main thread, and
// workers join only where the main thread's settled rate says the rest of the run would take
// longer than a threshold. The whole NAS-Bench-201 space is scored, long enough for the rate to
// settle. Either way the rows are the same, in stream order. Worker threads run the built
// worker, so the built modules are tested here (as the CLI tests run the built CLI).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Row } from '../../compiler/space/evaluate.js';

const FILE = 'examples/nb201.mdl';
// The path is built at run time: the type checker resolves the sources' types, node the built files.
const DIST = new URL('../../dist/', import.meta.url).href;
const load = <T>(path: string): Promise<T> => import(`${DIST}${path}`) as Promise<T>;
const built = async () => ({
  host: (await load<typeof import('../../compiler/modules/node-host.js')>('compiler/modules/node-host.js')).nodeHost,
  space: await load<typeof import('../../compiler/space/space.js')>('compiler/space/space.js'),
  score: await load<typeof import('../../compiler/space/score.js')>('compiler/space/score.js'),
});

async function run(joinAfterS?: number): Promise<{ rows: Row[]; threads: number }> {
  const { host, space, score } = await built();
  const opened = space.openSpace({ path: FILE, text: readFileSync(FILE, 'utf8') }, host);
  if (!opened.space) throw new Error(`${FILE} did not open`);
  const rows: Row[] = [];
  const stats = await score.scoreSpace({
    space: opened.space,
    file: FILE,
    proxies: ['params'],
    ...(joinAfterS !== undefined ? { joinAfterS } : {}),
    onRow: (r) => rows.push(r),
  });
  return { rows, threads: stats.threads };
}

describe('scoring threads by default', () => {
  it('a run whose rest is under the threshold stays in this thread; past it a worker joins; the rows are the same', async () => {
    // A threshold no run reaches, and none: the default's 8 s is a performance choice, not
    // asserted under a test run's load.
    const short = await run(1e6);
    expect(short.threads).toBe(1);
    const joined = await run(0);
    expect(joined.threads).toBe(Math.min(2, availableParallelism()));
    expect(joined.rows).toEqual(short.rows);
  }, 60_000);
});
