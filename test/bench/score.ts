// `npm run bench` (scoring): what a data-dependent proxy costs per candidate, by stage, on
// NAS-Bench-201 cells: SynFlow (batch 1, its own rescaled runs) and ZiCo (two batches of 64,
// training-mode cross-entropy gradients). The candidates are scored, in this process, by the
// float64 reference interpreter (the peer), by WebGPU through the device's pipeline cache and by
// WebGPU with pipelines of its own (as before the cache), one backend after the other. The figures are seconds
// per candidate, each stage's share (compile, pipelines, upload, execute, readback: see
// compiler/drivers/proxies/profile.ts) and the ratios of the three, once on the machine as it is
// and once more with a competing CPU load this bench starts itself (busy processes, one per
// core). ZiCo's kernels' GFLOP/s during scoring are its gradient graphs' FLOPs over the execute
// stage. Every candidate's values must agree between the two WebGPU runs (bit for bit) and with
// the interpreter (1e-3 relative); a disagreement is printed. Timings are reported, never asserted.
//
// ZiCo's aims concern WebGPU alone (the share of its time that is not kernel execution, and the
// kernels' GFLOP/s), and the interpreter takes minutes per ZiCo candidate at batch 64, so ZiCo runs
// on WebGPU with the cache only, unless MDL_BENCH_SCORE_ZICO_REF=1 adds the other two.
//
// MDL_BENCH_SCORE_N (default 20) sets how many candidates, MDL_BENCH_SCORE_ZICO_N ZiCo's (default
// 20), MDL_BENCH_SCORE_LOAD=0 leaves out the loaded pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { summarize } from '../../compiler/analysis/summary.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { ReferenceProxyBackend, WebGpuProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { proxyBatches, type ProxyBatch } from '../../compiler/drivers/proxies/data.js';
import { measureProfiled, profileTable } from '../../compiler/drivers/proxies/profile.js';
import type { Graph } from '../../compiler/ir/types.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { candidate, indices, openSpace, type OpenSpace } from '../../compiler/space/space.js';
import { StageClock } from '../../runtime/stages.js';

const FILE = 'examples/nb201.mdl';
const N = Number(process.env['MDL_BENCH_SCORE_N'] ?? 20);
const ZICO_N = Number(process.env['MDL_BENCH_SCORE_ZICO_N'] ?? 20);
// The interpreter took 342 s for one ZiCo candidate at batch 64 on a loaded 2-core machine.
const ZICO_REF = process.env['MDL_BENCH_SCORE_ZICO_REF'] === '1';
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

/** Every candidate on one backend, in order: values and clocks. */
async function scoreAll(
  graphs: readonly [bigint, Graph][],
  backend: ReferenceProxyBackend | WebGpuProxyBackend,
  opts: { batches: ProxyBatch[]; batch: number; seed: number; proxies: string[] },
): Promise<{ values: number[]; clocks: StageClock[] }> {
  const values: number[] = [];
  const clocks: StageClock[] = [];
  for (const [, g] of graphs) {
    const p = await measureProfiled(g, { ...opts, backend });
    values.push(p.values[opts.proxies[0]!]!);
    clocks.push(p.clock);
  }
  return { values, clocks };
}

async function pass(space: OpenSpace, label: string): Promise<void> {
  console.log(`\nscoring NAS-Bench-201 cells, ${label} (load average ${loadavg()[0]!.toFixed(1)} at the start)`);
  for (const setup of SETUPS) {
    if (setup.count <= 0) continue;
    const data = proxyBatches('mnist', [3, 32, 32], 10, setup.batch, 0, 2);
    const opts = { batches: [...data.batches], batch: setup.batch, seed: 0, proxies: [setup.proxy] };
    const graphs: [bigint, Graph][] = [];
    for (const i of indices(space.size, setup.count, 1)) {
      const g = candidate(space, i).graph;
      if (!g) throw new Error(`candidate ${i} did not build`);
      graphs.push([i, g]);
    }
    // One backend after the other, each on a device of its own that is closed before the next
    // opens: two devices side by side contend for the software driver's threads, and on one
    // device the cache would keep pipelines alive that Dawn then hands the other one too. The
    // cache goes first, so Mesa's on-disk cache of machine code favours the run without it.
    const full = setup.proxy === 'synflow' || ZICO_REF;
    const ref = full ? await scoreAll(graphs, new ReferenceProxyBackend(), opts) : undefined;
    const cachedBackend = await WebGpuProxyBackend.create({ cache: true });
    const after = await scoreAll(graphs, cachedBackend, opts);
    cachedBackend.dispose();
    let before: Awaited<ReturnType<typeof scoreAll>> | undefined;
    if (full) {
      const ownBackend = await WebGpuProxyBackend.create({ cache: false });
      before = await scoreAll(graphs, ownBackend, opts);
      ownBackend.dispose();
    }
    const problems: string[] = [];
    graphs.forEach(([i], k) => {
      const z = after.values[k]!;
      if (!Number.isFinite(z)) problems.push(`candidate ${i}: ${z} on WebGPU`);
      if (!ref || !before) return;
      const [x, y] = [ref.values[k]!, before.values[k]!];
      if (!Object.is(y, z)) problems.push(`candidate ${i}: ${y} without the cache, ${z} with it`);
      if (Math.abs(z - x) > 1e-3 * Math.max(Math.abs(x), 1e-30))
        problems.push(`candidate ${i}: ${z} on WebGPU, ${x} on the interpreter`);
    });
    const flops = setup.proxy === 'zico' ? graphs.reduce((t, [, g]) => t + zicoFlops(g, setup.batch), 0) : 0;
    const mean = (cs: StageClock[]) => cs.reduce((t, c) => t + c.totalMs, 0) / cs.length;
    const a = mean(after.clocks);
    const r = ref ? mean(ref.clocks) : NaN;
    const name = `${setup.proxy}${setup.proxy === 'zico' ? ` b${setup.batch}` : ''}`;
    console.log(`\n${name}: ${setup.count} candidates, seconds per candidate (mean)`);
    if (ref && before) {
      const b = mean(before.clocks);
      console.log(
        `  reference interpreter (float64) ${s(r).padStart(7)} s\n` +
          `  WebGPU, pipelines of its own     ${s(b).padStart(7)} s  (${(b / r).toFixed(2)}× the interpreter's time)\n` +
          `  WebGPU, pipeline cache           ${s(a).padStart(7)} s  (${(a / r).toFixed(2)}× the interpreter's, ${(b / a).toFixed(2)}× faster than without the cache)`,
      );
    } else console.log(`  WebGPU, pipeline cache           ${s(a).padStart(7)} s`);
    console.log(`WebGPU with the cache, ${profileTable(after.clocks)}`);
    if (before) console.log(`WebGPU without it, ${profileTable(before.clocks)}`);
    const sum = new StageClock();
    for (const c of after.clocks) sum.merge(c);
    const notExec = 1 - sum.ms.execute / sum.totalMs;
    console.log(
      `  with the cache, everything but execute is ${(100 * notExec).toFixed(1)}% of the time` +
        (setup.proxy === 'zico'
          ? `; kernels at ${(flops / sum.ms.execute / 1e6).toFixed(2)} GFLOP/s during execute (aims: ≤ 15%, ≥ the training-step bench's)`
          : `; per candidate ${(a / r).toFixed(2)}× the interpreter's time (aim: ≤ 1)`),
    );
    for (const p of problems) console.log(`  DISAGREES ${p}`);
  }
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
