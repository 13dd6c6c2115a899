// The fuzzer in CI: 2,000 inputs from a fixed seed (generated programs and mutations of
// examples/ and stdlib/) through check, summary, print --stage grad and fmt, in one worker
// thread, each input under a budget of 20 s of the thread's CPU time (so a loaded CI machine does
// not turn slow inputs into hangs) and 512 MB of heap. Every input must end in ok or coded user
// errors: no internal error, no hang, no memory blow-up. The long run is `npm run fuzz`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeReport, fuzz } from './run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The worker runs compiled code: `npm test` builds dist/ first. */
const WORKER = join(ROOT, 'dist', 'test', 'fuzz', 'worker.js');
const SEED = 20_250_613;
const RUNS = 2000;

describe('fuzzing', () => {
  it(`${RUNS} inputs from seed ${SEED}: no internal error, hang or memory blow-up`, { timeout: 900_000 }, async () => {
    expect(existsSync(WORKER), 'the fuzzer runs the compiled worker: `npm test` builds it (tsc) first').toBe(true);
    const report = await fuzz({
      root: ROOT,
      worker: WORKER,
      runs: RUNS,
      seed: SEED,
      stages: ['check', 'summary', 'print-grad', 'fmt'],
      timeoutMs: 20_000,
      memoryMb: 512,
    });
    const failures = [...report.internal, ...report.hangs, ...report.memory].map(
      (f) =>
        `#${f.index}${f.stage ? ` ${f.stage}` : ''}: ${f.detail.split('\n').slice(0, 4).join(' | ')}\n${f.input.slice(0, 400)}`,
    );
    expect(failures.join('\n\n'), describeReport(report, SEED)).toBe('');
    expect(report.inputs).toBe(RUNS);
    // The stream reaches past the parser: some inputs compile cleanly, many fail later.
    expect(report.clean).toBeGreaterThan(0);
    expect([...report.codes.keys()].some((c) => c.startsWith('MDL6'))).toBe(true);
  });
});
