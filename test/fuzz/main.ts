// `npm run fuzz -- [--runs N] [--from I] [--seed S] [--stages LIST] [--timeout-ms T] [--memory-mb M] [--out DIR]`: the long
// fuzzing run, on demand (CI runs a short one, test/fuzz/fuzz.test.ts). It prints the figures as
// it goes and at the end, writes every failing input to DIR (default fuzz-failures/) with what
// went wrong, and exits 1 if there was any internal error, hang or memory blow-up. --timeout-ms
// is CPU time of the worker thread per input (wall time where /proc is missing; ./run.ts).
// --from I starts at input I (a multiple of 500) of the same stream, to split a run across
// processes: `--runs 100000 --from 50000` is the second half of `--runs 100000`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describeReport, fuzz, type Failure } from './run.js';
import { STAGES, type Stage } from './stages.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    from: { type: 'string', default: '0' },
    seed: { type: 'string', default: '13' },
    'timeout-ms': { type: 'string', default: '30000' },
    'memory-mb': { type: 'string', default: '1024' },
    out: { type: 'string', default: 'fuzz-failures' },
    stages: { type: 'string', default: STAGES.join(',') },
  },
});
const num = (k: keyof typeof values): number => {
  const n = Number(values[k]);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`--${k} must be a whole number, got "${values[k]}"\n`);
    process.exit(2);
  }
  return n;
};
const stages = values.stages!.split(',') as Stage[];
if (!stages.every((s) => STAGES.includes(s))) {
  process.stderr.write(`--stages takes some of ${STAGES.join(',')}\n`);
  process.exit(2);
}
const runs = num('runs');
const from = num('from');
const seed = num('seed');
// This file is dist/test/fuzz/main.js: the repository root is three folders up.
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const started = Date.now();
const report = await fuzz({
  root,
  worker: new URL('./worker.js', import.meta.url),
  runs,
  from,
  seed,
  timeoutMs: num('timeout-ms'),
  memoryMb: num('memory-mb'),
  stages,
  onProgress: (done, r) =>
    process.stderr.write(
      `${(from + done).toLocaleString('en')}/${runs.toLocaleString('en')} inputs, ${((Date.now() - started) / 1000).toFixed(0)} s: ` +
        `internal ${r.internal.length}, hangs ${r.hangs.length}, memory ${r.memory.length}\n`,
    ),
});
process.stdout.write(describeReport(report, seed) + '\n');
const failures: [string, Failure][] = [
  ...report.internal.map((f) => ['internal', f] as [string, Failure]),
  ...report.hangs.map((f) => ['hang', f] as [string, Failure]),
  ...report.memory.map((f) => ['memory', f] as [string, Failure]),
];
if (failures.length > 0) {
  const dir = resolve(values.out!);
  mkdirSync(dir, { recursive: true });
  for (const [kind, f] of failures) {
    const base = join(dir, `${kind}-${f.index}`);
    writeFileSync(`${base}.mdl`, f.input);
    writeFileSync(`${base}.txt`, `${kind}${f.stage ? ` in ${f.stage}` : ''}: ${f.detail}\n`);
  }
  process.stdout.write(`${failures.length} failing inputs written to ${dir}\n`);
  process.exitCode = 1;
}
