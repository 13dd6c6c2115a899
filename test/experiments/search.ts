// `npm run experiment:search`: architecture search on NAS-Bench-201 with NATS-Bench's CIFAR-10
// test accuracy as the only truth, and FLASH's search time on examples/flash_space.mdl; writes
// docs/experiments/search.md. Every search is the library's own (compiler/search/run.ts, what
// `mdl search` runs), in this process:
//   A. random(n=25) against flash(samples=25) — the default sequential design and the paper's
//      one-shot protocol (initial = 24) — on `accuracy` from the table, seeds 0…9;
//   B. zero-query evolution (1,000 iterations) on the static proxies params, nn_degree, nn_mass
//      and params + nn_degree (sum of ranks), seeds 0…9: the table only judges the winner;
//   C. zero-query evolution on the data proxies zico, synflow and their combination, 100
//      candidates each, seeds 0…9, on the built-in digits; a candidate is measured once for each
//      proxy a search asks of it, shared by every search (a cache file of measurements);
//   D. flash on flash_space.mdl (64 billion candidates): zico stands in for accuracy, which
//      would need 25 trained DenseNets; latency measured on the adapter and modelled; the
//      optimiser's time after fitting, and the predicted zico/latency front.
// Results are kept in --out (runs/search) as JSON, so an interrupted run resumes (a finished
// part is not run again; part C's measurements are cached per candidate) and --report-only
// rewrites the page. --quick: fewer seeds and smaller budgets (a smoke test). Part C is kept per
// seed, so it can be split over processes: `--c-seeds 0,2,4` runs part C for those seeds only
// (sharing the cache file with the others) and writes no page; `--parts d` runs only the parts
// named (by letter), reading the others back.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMeasurer, type Measuring } from '../../compiler/drivers/search/measure.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { openSearch, type OpenedSearch } from '../../compiler/search/open.js';
import { fmt, type Evaluated, type Measurer, type Value } from '../../compiler/search/problem.js';
import { runSearch, type SearchResult } from '../../compiler/search/run.js';
import { SECTION_VOCABULARIES } from '../../compiler/sections.js';
import { truthLookup, type TruthLookup } from '../../compiler/space/against.js';
import { readCsvTable } from '../../compiler/space/table.js';
import { gunzipSync } from 'node:zlib';
import { ALGORITHMS } from '../../compiler/search/algorithms.js';
import type { ObjectiveName } from '../../compiler/search/objectives.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const reportOnly = argv.includes('--report-only');
const partsIdx = argv.indexOf('--parts');
/** The parts to run (by letter); the others are only read back from --out. */
const PARTS = new Set(partsIdx >= 0 ? argv[partsIdx + 1]!.split(',') : ['a', 'b', 'c', 'd']);
const outIdx = argv.indexOf('--out');
const OUT = outIdx >= 0 ? argv[outIdx + 1]! : quick ? 'runs/search-quick' : 'runs/search';
const PAGE = quick ? join(OUT, 'search.md') : 'docs/experiments/search.md';
const NB201 = 'examples/nb201.mdl';
const FLASH_SPACE = 'examples/flash_space.mdl';
const TABLE = 'test/fixtures/nb201/nats_tss_15625_test_acc.csv.gz';
const SEEDS = quick ? [0, 1] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
// Parts C and D measure every candidate on the adapter (seconds each on a CPU adapter).
const cSeedsIdx = argv.indexOf('--c-seeds');
const C_ONLY = cSeedsIdx >= 0 ? argv[cSeedsIdx + 1]!.split(',').map(Number) : undefined;
const DATA_SEEDS = C_ONLY ?? SEEDS;
const DATA_BUDGET = quick ? 6 : 100;
const DATA_POPULATION = quick ? 3 : 20;
const D_SAMPLES = quick ? 6 : 10;
const D_INITIAL = quick ? 5 : 8;
const STATIC_ITERATIONS = quick ? 200 : 1000;
const DATA_BATCH = 16;
mkdirSync(OUT, { recursive: true });

interface RunRecord {
  readonly part: string;
  readonly variant: string;
  readonly seed: number;
  readonly index: string;
  readonly arch: string;
  /** The winner's true CIFAR-10 test accuracy and its rank among the 15,625 cells. */
  readonly accuracy: number | undefined;
  readonly rank: number | undefined;
  readonly evaluated: number;
  readonly compiled: number;
  readonly measured: number;
  readonly ms: number;
  readonly notes: readonly string[];
  readonly values: Readonly<Record<string, Value>>;
  /** Part D: the search after fitting of the same search replayed from its log afterwards. */
  peer?: string;
}

const table = readCsvTable(gunzipSync(readFileSync(TABLE)).toString('utf8'));
const truth: TruthLookup = truthLookup(table, new Set(), {
  key: 'ArchitectureString',
  truth: 'CIFAR10TestAccuracy200Epochs',
});
const sortedAcc = [...truth.byName.values()].sort((a, b) => b - a);
const rankOf = (acc: number) => sortedAcc.filter((v) => v > acc).length + 1;

function open(file: string, section: string): OpenedSearch {
  const text = readFileSync(file, 'utf8') + '\n' + section;
  const r = openSearch({ path: file, text }, nodeHost, SECTION_VOCABULARIES);
  if (!r.opened) throw new Error(renderAll(r.diagnostics, r.sources));
  return r.opened;
}

function record(part: string, variant: string, seed: number, r: SearchResult): RunRecord {
  const b = r.best;
  const acc = b ? truth.byName.get(b.arch) : undefined;
  return {
    part,
    variant,
    seed,
    index: String(b?.index ?? ''),
    arch: b?.arch ?? '',
    accuracy: acc,
    rank: acc === undefined ? undefined : rankOf(acc),
    evaluated: r.problem.log.length,
    compiled: r.problem.compiled,
    measured: r.problem.measured,
    ms: r.ms,
    notes: r.outcome.notes,
    values: b?.values ?? {},
  };
}

/** Runs (or reloads) one part: a list of records in a JSON file. */
async function part(name: string, run: () => Promise<RunRecord[]>): Promise<RunRecord[]> {
  const file = join(OUT, `${name}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RunRecord[];
  if (reportOnly || !PARTS.has(name[0]!)) return [];
  const t0 = performance.now();
  const recs = await run();
  writeFileSync(file, JSON.stringify(recs, null, 1));
  process.stdout.write(`part ${name}: ${recs.length} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return recs;
}

const tableMeasure: Measurer = async (_i, arch) => {
  const t = truth.byName.get(arch);
  if (t === undefined) throw new Error(`no truth for ${arch}`);
  return { accuracy: t };
};

const section = (name: string, body: string) => `search ${name} {\n  candidates = cifar10\n${body}\n}\n`;

// A. Random against FLASH with 25 queries of the table.
const A_VARIANTS: [string, string][] = [
  ['random(n=25)', 'random(n=25)'],
  ['flash(samples=25)', 'flash(samples=25)'],
  ['flash(samples=25, initial=24)', 'flash(samples=25, initial=24)'],
  // the feature set before live_params: the ablation that shows why the default changed
  ['flash(samples=25, features=[nn_degree, params])', 'flash(samples=25, features=[nn_degree, params])'],
];
const partA = await part('a-queries', async () => {
  const recs: RunRecord[] = [];
  for (const [variant, call] of A_VARIANTS)
    for (const seed of SEEDS) {
      const o = open(
        NB201,
        section('a', `  algorithm = ${call}\n  maximize = [accuracy]\n  truth = "x"\n  seed = ${seed}`),
      );
      const r = await runSearch({ ...o, measure: tableMeasure });
      recs.push(record('A', variant, seed, r));
      process.stdout.write(`A ${variant} seed ${seed}: ${fmt(recs[recs.length - 1]!.accuracy ?? NaN)}\n`);
    }
  return recs;
});

// B. Zero-query evolution on static proxies.
const B_VARIANTS = [['params'], ['nn_degree'], ['nn_mass'], ['params', 'nn_degree']];
const partB = await part('b-static', async () => {
  const recs: RunRecord[] = [];
  for (const goals of B_VARIANTS)
    for (const seed of SEEDS) {
      const o = open(
        NB201,
        section(
          'b',
          `  algorithm = evolution(population=64, iterations=${STATIC_ITERATIONS})\n  maximize = [${goals.join(', ')}]\n  seed = ${seed}`,
        ),
      );
      const r = await runSearch(o);
      recs.push(record('B', goals.join(' + '), seed, r));
    }
  return recs;
});

// C. Zero-query evolution on data proxies, measured once per candidate for both.
const cacheFile = join(OUT, 'c-measured.jsonl');
const cache = new Map<string, Record<string, Value>>();
let cacheBytes = -1;
/** Reads the measurements the file holds (also those another process appended since). */
function reloadCache(): void {
  if (!existsSync(cacheFile)) return;
  const text = readFileSync(cacheFile, 'utf8');
  if (text.length === cacheBytes) return;
  cacheBytes = text.length;
  for (const l of text.split('\n'))
    if (l.trim()) {
      const o = JSON.parse(l) as { index: string; values: Record<string, Value> };
      cache.set(o.index, { ...cache.get(o.index), ...o.values });
    }
}
const both = open(NB201, section('c', `  maximize = [zico, synflow]\n  data_batch = ${DATA_BATCH}`));
let cMeasuring: Measuring | undefined;
// A candidate is measured for the proxies a search asks of it and not measured before: ZiCo
// (two batches, forward and backward) costs several times SynFlow, and the SynFlow search need
// not pay for it.
const cMeasure: Measurer = async (index, arch, names) => {
  const missing = (): ObjectiveName[] => names.filter((n) => cache.get(String(index))?.[n] === undefined);
  if (missing().length > 0) reloadCache();
  const todo = missing();
  if (todo.length > 0) {
    cMeasuring ??= await createMeasurer({ space: both.space, spec: both.spec });
    const t0 = performance.now();
    const v = { ...(await cMeasuring.measure(index, arch, todo)) };
    const seconds = (performance.now() - t0) / 1000;
    cache.set(String(index), { ...cache.get(String(index)), ...v });
    appendFileSync(cacheFile, JSON.stringify({ index: String(index), arch, values: v, seconds }) + '\n');
    process.stdout.write(`C measured ${todo.join('+')} of ${arch}\n`);
  }
  const v = cache.get(String(index))!;
  return Object.fromEntries(names.map((n) => [n, v[n]!]));
};
const C_GOALS = [['zico'], ['synflow'], ['zico', 'synflow']];
const partC: RunRecord[] = [];
try {
  for (const seed of DATA_SEEDS)
    partC.push(
      ...(await part(`c-data-s${seed}`, async () => {
        reloadCache();
        const recs: RunRecord[] = [];
        for (const goals of C_GOALS) {
          const o = open(
            NB201,
            section(
              'c',
              `  algorithm = evolution(population=${DATA_POPULATION}, iterations=${DATA_BUDGET})\n  maximize = [${goals.join(', ')}]\n  data_batch = ${DATA_BATCH}\n  seed = ${seed}`,
            ),
          );
          const r = await runSearch({ ...o, measure: cMeasure });
          recs.push(record('C', goals.join(' + '), seed, r));
          process.stdout.write(`C ${goals.join(' + ')} seed ${seed}: ${fmt(recs[recs.length - 1]!.accuracy ?? NaN)}\n`);
        }
        return recs;
      })),
    );
} finally {
  cMeasuring?.dispose();
}
if (C_ONLY) process.exit(0);
reloadCache();

/** Median seconds of one part-C measurement of exactly `proxies`, from the cache file. */
function cSeconds(proxies: string): string {
  if (!existsSync(cacheFile)) return '-';
  const t = readFileSync(cacheFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { seconds?: number; values: Record<string, Value> })
    .filter((o) => o.seconds !== undefined && Object.keys(o.values).sort().join('+') === proxies)
    .map((o) => o.seconds!);
  const m = [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];
  return m !== undefined ? `${m.toFixed(1)} s (${t.length} measured)` : '-';
}

// D. FLASH on flash_space.mdl with a measured latency model.
const partD = await part('d-flash-space', async () => {
  const o = open(
    FLASH_SPACE,
    section(
      'd',
      `  algorithm = flash(samples=${D_SAMPLES}, initial=${D_INITIAL})\n  maximize = [zico]\n  minimize = [latency]\n  data_batch = ${DATA_BATCH}\n  seed = 0`,
    ),
  );
  const m = await createMeasurer({ space: o.space, spec: o.spec });
  const log: Evaluated[] = [];
  try {
    const r = await runSearch({
      ...o,
      measure: m.measure,
      onEvaluated: (e) => {
        log.push(e);
        process.stdout.write(
          `D ${e.step}: zico ${fmt(e.values['zico'] as number)}, latency ${fmt(e.values['latency'] as number)} ms\n`,
        );
      },
    });
    // The same search again in this process, replayed from its log (nothing is measured
    // again): its optimisations do not follow a measurement on the device (see the page).
    const again = await runSearch({ ...o, measure: m.measure, replay: log });
    const againNote = again.outcome.notes.find((n) => n.startsWith('search after fitting'));
    const rec = record('D', 'flash', 0, r);
    if (againNote) rec.peer = againNote;
    const preds = (r.outcome.predictions ?? []).map((p) => ({
      index: String(p.index),
      arch: p.arch,
      values: p.values,
    }));
    writeFileSync(
      join(OUT, 'd-log.json'),
      JSON.stringify(
        { about: m.about, log: log.map((e) => ({ ...e, index: String(e.index) })), predictions: preds },
        null,
        1,
      ),
    );
    return [rec];
  } finally {
    m.dispose();
  }
});

// The page.
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: readonly number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const pm = (xs: readonly number[], d = 2) => (xs.length ? `${mean(xs).toFixed(d)} ± ${std(xs).toFixed(d)}` : '-');
function rows(recs: readonly RunRecord[], queries: (r: RunRecord) => string): string[] {
  const variants = [...new Set(recs.map((r) => r.variant))];
  return variants.map((v) => {
    const rs = recs.filter((r) => r.variant === v && r.accuracy !== undefined);
    return `| ${v} | ${rs.length} | ${pm(rs.map((r) => r.accuracy!))} | ${pm(
      rs.map((r) => r.rank!),
      0,
    )} | ${pm(
      rs.map((r) => r.ms / 1000),
      2,
    )} | ${pm(
      rs.map((r) => r.compiled),
      0,
    )} | ${queries(rs[0]!)} |`;
  });
}
const HEAD =
  '| search | seeds | test accuracy of the winner (%) | rank of the winner (of 15,625) | search time (s) | candidates compiled | table queries / candidates scored |\n|---|---|---|---|---|---|---|';
const dLog = existsSync(join(OUT, 'd-log.json'))
  ? (JSON.parse(readFileSync(join(OUT, 'd-log.json'), 'utf8')) as {
      about: string[];
      log: { values: Record<string, number> }[];
      predictions: { arch: string; values: Record<string, number> }[];
    })
  : undefined;
const d = partD[0];
const page = `# Architecture search on NAS-Bench-201 and FLASH's space

\`npm run experiment:search\` (test/experiments/search.ts) runs every search below with the
library \`mdl search\` runs, in one process, on ${quick ? 'a quick (smoke-test) budget' : "this 2-core machine with no GPU (WebGPU on Mesa's llvmpipe)"}, and writes this page.
The only source of truth is NATS-Bench's CIFAR-10 test accuracy (200 epochs) of the 15,625
NAS-Bench-201 cells (\`${TABLE}\`). The best cell has 94.37 %; the top 1 % starts at 93.78 %.
Each row is the mean ± standard deviation over its seeds of the winner: the best candidate the
search evaluated (by true accuracy where it queried the table, by its objective otherwise).

## A. 25 queries of the table: random search against FLASH

${HEAD}
${rows(partA, () => '25').join('\n')}

\`flash(samples=25)\` evaluates 10 random cells, then 15 times refits its predictor (least squares
of accuracy on standardised NN-Degree and \`live_params\`, the parameters of the layers the output
depends on) on everything evaluated and evaluates the optimiser's best cell not yet evaluated.
\`flash(samples=25, initial=24)\` is the paper's protocol within the same budget: 24 random cells,
one fit, one optimisation, its optimum evaluated. The last row is the predictor on the parameter
count as NAS-Bench-201 gives it: a cell whose output edges are all \`none\` computes a constant
(10 %) with the most parameters of the space, the predictor proposes it, and that one sample
tilts the linear fit for the rest of the search. One run of each, as \`mdl search\` runs it:

\`\`\`sh
npx mdl search examples/nb201.mdl --algorithm "random(n=25)" --maximize accuracy --truth ${TABLE} --seed 0
npx mdl search examples/nb201.mdl --algorithm "flash(samples=25)" --maximize accuracy --truth ${TABLE} --seed 0
npx mdl search examples/nb201.mdl --algorithm "flash(samples=25, initial=24)" --maximize accuracy --truth ${TABLE} --seed 0
npx mdl search examples/nb201.mdl --algorithm "flash(samples=25, features=[nn_degree, params])" --maximize accuracy --truth ${TABLE} --seed 0
\`\`\`

${
  partA.length
    ? `The predictor of one run (flash(samples=25), seed 0): ${
        partA
          .find((r) => r.variant === 'flash(samples=25)')
          ?.notes.find((n) => n.startsWith('predictor'))
          ?.replace(/^predictor: /, '') ?? '-'
      }`
    : ''
}

## B. Zero queries: evolution on static proxies

${HEAD}
${rows(partB, (r) => `0 / ${r.evaluated}`).join('\n')}

\`evolution(population=64, iterations=${STATIC_ITERATIONS})\` (Zen-NAS/ZiCo: a uniformly random parent, one
choice mutated, the worst member dropped; no candidate evaluated twice by canonical hash). With
two objectives the fitness is the sum of ranks. The table is read only to judge the winner.

\`\`\`sh
npx mdl search examples/nb201.mdl --algorithm "evolution(population=64, iterations=${STATIC_ITERATIONS})" --maximize params --seed 0 --against ${TABLE}
\`\`\`

## C. Zero queries: evolution on data proxies

${HEAD}
${rows(partC, (r) => `0 / ${r.evaluated}`).join('\n')}

Each search is \`evolution(population=${DATA_POPULATION}, iterations=${DATA_BUDGET})\` (${DATA_BUDGET} candidates evaluated, the
first ${DATA_POPULATION} at random) on the built-in digits (28×28 → 32×32, gray × 3; batch ${DATA_BATCH}, data seed 0,
parameters initialised with seed 0), not CIFAR-10. A candidate is measured once for each proxy
and its values are shared by every search and seed: ${cache.size} distinct candidates were measured
in all, each for the proxies its searches asked for. The median wall time of a measurement, on
the CPU adapter with kernels' compilation included, in two processes of this experiment sharing
the two cores with other work: SynFlow alone ${cSeconds('synflow')}, ZiCo alone
${cSeconds('zico')}, both ${cSeconds('synflow+zico')} (\`npm run bench\` times one process
alone). A search's time counts only the
measurements it was the first to ask for, so the times are not comparable between rows. ${
  new Set(partC.map((r) => r.seed)).size < SEEDS.length
    ? `Seeds run so far: ${[...new Set(partC.map((r) => r.seed))].join(', ')} of ${SEEDS[0]}…${SEEDS[SEEDS.length - 1]}; \`node dist/test/experiments/search.js --c-seeds LIST\` runs others (several processes may share the cache) and \`--report-only\` rewrites this page. `
    : ''
}The mean test accuracy of the space is ${mean([...truth.byName.values()]).toFixed(2)} %.

\`\`\`sh
npx mdl search examples/nb201.mdl --algorithm "evolution(population=${DATA_POPULATION}, iterations=${DATA_BUDGET})" --maximize zico,synflow --data-batch ${DATA_BATCH} --seed 0 --against ${TABLE}
\`\`\`

## D. FLASH on flash_space.mdl (64 billion candidates)

${
  d
    ? `No accuracy table exists for FLASH's DenseNet-type space, and 25 trained networks do not fit
this machine; \`flash(samples=${D_SAMPLES}, initial=${D_INITIAL})\` (the paper: about 25 samples) with ZiCo on the digits (batch ${DATA_BATCH}) stands in for the measured objective, and the
inference latency at batch 1 is measured on the adapter for every sample
(${dLog?.about.join('; ') ?? ''}).

${d.notes.map((n) => `- ${n}`).join('\n')}

The search after fitting (the last optimisation, over the lattice of valid candidates with the
fitted predictor and latency model) is the figure FLASH reports as about 0.1 s for its
analytical models; here every candidate the optimiser compares is elaborated and measured by the
compiler (NN-Degree, parameters, FLOPs, activation bytes), which dominates the time. It starts
right after the last measurement on the device: the JavaScript engine has just run the
compiler's functions on gradient graphs, deoptimises a dozen of them when they meet the
candidates' graphs again, and the first few hundred milliseconds run at about half speed
(measured with a fixed scoring workload around a measurement). The same search replayed from
its log in the same process afterwards, nothing measured again: ${d.peer ?? '-'}.
Times on this page are wall-clock times with whatever else ran on the machine at the time;
\`npm run bench\` times the search after fitting on its own.

The front the optimiser saw (predicted ZiCo against modelled latency, not evaluated):

| predicted zico | modelled latency (ms) | parameters (live) | arch |
|---|---|---|---|
${(dLog?.predictions ?? [])
  .slice(0, 12)
  .map(
    (p) =>
      `| ${fmt(p.values['zico']!)} | ${fmt(p.values['latency']!)} | ${fmt(p.values['live_params'] ?? NaN)} | ${p.arch} |`,
  )
  .join('\n')}

The ${D_SAMPLES} evaluated samples: latency ${dLog ? pm(dLog.log.map((e) => e.values['latency']!).filter(Number.isFinite), 1) : '-'} ms, zico ${dLog ? pm(dLog.log.map((e) => e.values['zico']!).filter(Number.isFinite), 1) : '-'}.`
    : 'Not run yet.'
}

## Algorithms

${Object.values(ALGORITHMS)
  .map((a) => `- \`${a.name}\`: ${a.doc}.`)
  .join('\n')}
`;
writeFileSync(PAGE, page);
process.stdout.write(`wrote ${PAGE}\n`);
