// `npm run bench` (scoring): what a data-dependent proxy costs per candidate, by stage, on
// NAS-Bench-201 cells: SynFlow (batch 1, its own rescaled runs) and ZiCo (two batches of 64,
// training-mode cross-entropy gradients). Each candidate is scored, in this process and one after
// the other, by the float64 reference interpreter (the peer), by WebGPU with pipelines of its own
// (as before the device's pipeline cache) and by WebGPU through the cache. The figures are seconds
// per candidate, each stage's share (compile, pipelines, upload, execute, readback: see
// compiler/drivers/proxies/profile.ts) and the ratios of the three, once on the machine as it is
// and once more with a competing CPU load this bench starts itself (busy processes, one per
// core). ZiCo's kernels' GFLOP/s during scoring are its gradient graphs' FLOPs over the execute
// stage. Every candidate's values must agree between the two WebGPU runs (bit for bit) and with
// the interpreter (1e-3 relative); a disagreement is printed. Timings are reported, never asserted.
//
// MDL_BENCH_SCORE_N (default 20) sets how many candidates, MDL_BENCH_SCORE_ZICO_N ZiCo's (default
// the same), MDL_BENCH_SCORE_LOAD=0 leaves out the loaded pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { summarize } from '../../compiler/analysis/summary.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { ReferenceProxyBackend, WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { proxyBatches } from '../../compiler/drivers/proxies/data.js';
import { measureProfiled, profileTable } from '../../compiler/drivers/proxies/profile.js';
import type { Graph } from '../../compiler/ir/types.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { candidate, indices, openSpace, type OpenSpace } from '../../compiler/space/space.js';
import { StageClock } from '../../runtime/stages.js';

const FILE = 'examples/nb201.mdl';
const N = Number(process.env['MDL_BENCH_SCORE_N'] ?? 20);
const ZICO_N = Number(process.env['MDL_BENCH_SCORE_ZICO_N'] ?? N);
const LOADED = process.env['MDL_BENCH_SCORE_LOAD'] !== '0';

interface Setup {
  readonly proxy: 'synflow' | 'zico';
  readonly batch: number;
  readonly count: number;
}

const SETUPS: readonly Setup[] = [
  { proxy: 'synflow', batch: 64, count: N },
  { proxy: 'zico', batch: 64, count: ZICO_N },
];

function openNb201(): OpenSpace {
  const r = openSpace({ path: FILE, text: readFileSync(FILE, 'utf8') }, nodeHost);
  if (!r.space) throw new Error(`${FILE} did not open`);
  return r.space;
}

/** FLOPs of ZiCo's work on one candidate: its cross-entropy gradient graph, run on two batches. */
function zicoFlops(g: Graph, batch: number): number {
  const gg = buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true });
  return 2 * summarize(gg.graph, { B: batch }).flops;
}

/** Busy processes, one per core, as the competing load; stopped by the returned function. */
function competingLoad(): () => void {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < availableParallelism(); i++)
    kids.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return () => kids.forEach((k) => k.kill('SIGKILL'));
}

const s = (ms: number) => (ms / 1000).toFixed(2);

async function pass(space: OpenSpace, label: string): Promise<void> {
  const reference = new ReferenceProxyBackend();
  const own = await WebGpuProxyBackend.create({ cache: false });
  const cached = await WebGpuProxyBackend.create({ cache: true });
  console.log(`\nscoring NAS-Bench-201 cells, ${label} (load average ${loadavg()[0]!.toFixed(1)} at the start)`);
  for (const setup of SETUPS) {
    if (setup.count <= 0) continue;
    const data = proxyBatches('mnist', [3, 32, 32], 10, setup.batch, 0, 2);
    const opts = { batches: data.batches, batch: setup.batch, seed: 0, proxies: [setup.proxy] };
    const clocks = { reference: [] as StageClock[], own: [] as StageClock[], cached: [] as StageClock[] };
    let flops = 0;
    const problems: string[] = [];
    let k = 0;
    for (const i of indices(space.size, setup.count, 1)) {
      const g = candidate(space, i).graph;
      if (!g) throw new Error(`candidate ${i} did not build`);
      const r = await measureProfiled(g, { ...opts, backend: reference });
      // Alternately first, so Mesa's on-disk cache of machine code favours neither.
      const first = k++ % 2 === 0;
      const a0 = first ? await measureProfiled(g, { ...opts, backend: own }) : undefined;
      const b = await measureProfiled(g, { ...opts, backend: cached });
      const a = a0 ?? (await measureProfiled(g, { ...opts, backend: own }));
      clocks.reference.push(r.clock);
      clocks.own.push(a.clock);
      clocks.cached.push(b.clock);
      if (setup.proxy === 'zico') flops += zicoFlops(g, setup.batch);
      const [x, y, z] = [r, a, b].map((p) => p.values[setup.proxy]!);
      if (y !== z) problems.push(`candidate ${i}: ${y} without the cache, ${z} with it`);
      if (Math.abs(z! - x!) > 1e-3 * Math.max(Math.abs(x!), 1e-30))
        problems.push(`candidate ${i}: ${z} on WebGPU, ${x} on the interpreter`);
    }
    const total = (cs: StageClock[]) => cs.reduce((t, c) => t + c.totalMs, 0) / cs.length;
    const [ref, before, after] = [total(clocks.reference), total(clocks.own), total(clocks.cached)];
    const name = `${setup.proxy}${setup.proxy === 'zico' ? ` b${setup.batch}` : ''}`;
    console.log(`\n${name}: ${setup.count} candidates, seconds per candidate (mean)`);
    console.log(
      `  reference interpreter (float64) ${s(ref).padStart(7)} s\n` +
        `  WebGPU, pipelines of its own     ${s(before).padStart(7)} s  (${(before / ref).toFixed(2)}× the interpreter's time)\n` +
        `  WebGPU, pipeline cache           ${s(after).padStart(7)} s  (${(after / ref).toFixed(2)}× the interpreter's, ${(before / after).toFixed(2)}× faster than without the cache)`,
    );
    console.log(`WebGPU with the cache, ${profileTable(clocks.cached)}`);
    console.log(`WebGPU without it, ${profileTable(clocks.own)}`);
    const sum = new StageClock();
    for (const c of clocks.cached) sum.merge(c);
    const notExec = 1 - sum.ms.execute / sum.totalMs;
    console.log(
      `  with the cache, everything but execute is ${(100 * notExec).toFixed(1)}% of the time` +
        (setup.proxy === 'zico'
          ? `; kernels at ${(flops / sum.ms.execute / 1e6).toFixed(2)} GFLOP/s during execute (aims: ≤ 15%, ≥ the training-step bench's)`
          : `; per candidate ${(after / ref).toFixed(2)}× the interpreter's time (aim: ≤ 1)`),
    );
    for (const p of problems) console.log(`  DISAGREES ${p}`);
  }
  own.dispose();
  cached.dispose();
}

export async function benchScore(): Promise<void> {
  const space = openNb201();
  await pass(space, 'the machine as it is');
  if (!LOADED) return;
  const stop = competingLoad();
  try {
    await pass(space, `with ${availableParallelism()} competing busy processes`);
  } finally {
    stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchScore();
  process.exit(0);
}
