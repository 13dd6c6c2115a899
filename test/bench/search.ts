// `npm run bench` (search): the two speeds issue-level users ask of `mdl search`, each next to a
// peer run in the same process.
//   1. FLASH on examples/flash_space.mdl (64 billion candidates): after its predictor is fitted on
//      25 evaluated candidates, the global optimisation alone (what the paper times at ~0.1 s).
//      FLASH fits a measured objective; here the "measurement" of a candidate is its NN-Mass,
//      computed from its graph (no device needed, the numbers are real, and the optimiser's time
//      does not depend on where they come from): the fit predicts NN-Mass from NN-Degree and the
//      parameter count. The peer is random(n=25): as many measurements, no fit, no optimiser.
//   2. Evolution with static objectives (parameters, MACs) for many steps on the same space,
//      against random sampling of as many candidates: the cost of the algorithm over the cost of
//      compiling the candidates it proposes. The evolution runs twice: with its static values
//      analysed incrementally from cached cell analyses (compiler/space/incremental.ts) and from
//      every candidate's full graph (the default), same seed, same results.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { nnMass } from '../../compiler/analysis/nn-mass.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { openSearch, type OpenedSearch } from '../../compiler/search/open.js';
import { runSearch } from '../../compiler/search/run.js';
import type { Measurer } from '../../compiler/search/problem.js';
import { SECTION_VOCABULARIES } from '../../compiler/sections.js';
import { candidate } from '../../compiler/space/space.js';

const FILE = 'examples/flash_space.mdl';
const STEPS = Number(process.env['MDL_BENCH_EVOLUTION_STEPS'] ?? 100_000);

function open(body: string): OpenedSearch {
  const text = `${readFileSync(FILE, 'utf8')}\nsearch bench {\n  candidates = cifar10\n${body}\n  seed = 0\n}\n`;
  const r = openSearch({ path: FILE, text }, nodeHost, SECTION_VOCABULARIES);
  if (!r.opened) throw new Error(renderAll(r.diagnostics, r.sources));
  return r.opened;
}

/** A candidate's NN-Mass as the measured `accuracy` of the search. */
function nnMassMeasurer(o: OpenedSearch): Measurer {
  return async (index) => {
    const g = candidate(o.space, index).graph;
    if (!g) throw new Error(`candidate ${index} did not compile`);
    return { accuracy: nnMass(g).total };
  };
}

async function timed(
  body: string,
  standIn = false,
  incremental = false,
): Promise<{
  s: number;
  notes: readonly string[];
  compiled: number;
  evaluated: number;
  incremental: number;
  last: string | undefined;
}> {
  const o = open(body);
  const t0 = performance.now();
  const r = await runSearch({ ...o, ...(standIn ? { measure: nnMassMeasurer(o) } : {}), incremental });
  return {
    s: (performance.now() - t0) / 1000,
    notes: r.outcome.notes,
    compiled: r.problem.compiled,
    evaluated: r.problem.log.length,
    incremental: r.problem.scorer.counts.incremental,
    last: r.problem.log.at(-1)?.hash,
  };
}

console.log(`search: ${FILE}`);
const goal = '  maximize = [accuracy]\n  truth = "nn_mass"';
const flash = await timed(`  algorithm = flash(samples=25, initial=24)\n${goal}`, true);
const after = flash.notes.find((n) => n.startsWith('search after fitting'));
const random25 = await timed(`  algorithm = random(n=25)\n${goal}`, true);
console.log(
  `  flash(samples=25, initial=24), NN-Mass measured: ${flash.s.toFixed(2)} s in all, ${flash.compiled} candidates compiled; ${after ?? 'no timing note'}`,
);
console.log(`  random(n=25) (peer): ${random25.s.toFixed(2)} s; flash / random ${(flash.s / random25.s).toFixed(1)}×`);

const EVOLUTION = `  algorithm = evolution(population=64, iterations=${STEPS})\n  maximize = [params]\n  minimize = [macs]`;
const load = loadavg()[0]!.toFixed(1);
const evoFull = await timed(EVOLUTION, false, false);
const evo = await timed(EVOLUTION, false, true);
if (evo.last !== evoFull.last) throw new Error('the incremental and the full evolution runs differ');
const rnd = await timed(`  algorithm = random(n=${evo.evaluated})\n  maximize = [params]\n  minimize = [macs]`);
console.log(
  `  evolution(population=64, iterations=${STEPS}), params and macs: ${evo.s.toFixed(1)} s, ${evo.evaluated} evaluated, ${evo.compiled} compiled (${evo.incremental} analysed incrementally)`,
);
console.log(
  `  the same from every candidate's full graph (the default): ${evoFull.s.toFixed(1)} s; incremental / full ${(evo.s / evoFull.s).toFixed(2)}× (load average ${load} before)`,
);
console.log(
  `  random(n=${evo.evaluated}) (peer): ${rnd.s.toFixed(1)} s, ${rnd.compiled} compiled; evolution / random ${(evo.s / rnd.s).toFixed(2)}×`,
);
