// `npm run bench`, the kernel part: WebGPU forward passes and whole training steps (forward,
// loss, backward, SGD-with-momentum update, in one command encoder) through the compiled plan
// (kernels, fusion, memory plan, executor) on the adapter the runtime finds by itself, then the
// same training steps and matmul done by TensorFlow.js (webgpu on the same adapter, wasm, cpu)
// and jax-js (webgpu on the same adapter, wasm), in this process, as one table with the ratios
// peer/mdl. Times are medians of back-to-back runs after warm-up, inputs uploaded every run, the
// outputs (forward) or the loss (training) read back; GFLOP/s come from the static analysis's
// FLOP count of the graph that runs (compiler/analysis/summary.ts). The targets of the runtime
// are checked at the end (met/MISSED); nothing here fails the run, timings are only reported.
//
// BENCH_PEERS picks the peer columns (comma-separated names, e.g. `tfjs-webgpu,jax-js-webgpu`,
// or `none`); the default runs them all. `--profile` adds per-kernel times of the small CNN's
// and the MLP's training steps (see profile.ts).
import { performance } from 'node:perf_hooks';
import { summarize } from '../../compiler/analysis/summary.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph, type Plan } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { acquireDevice, formatReport, type AdapterReport } from '../../runtime/device.js';
import { Executor } from '../../runtime/executor.js';
import { LossWatch, type Peer, type PeerResult, type Workload } from './peers/peer.js';
import { graphOf, graphOfFile } from '../helpers/compile.js';
import { benchInputs } from './inputs.js';
import { timeRuns } from './steps.js';
import { profileKernels } from './profile.js';

/** The small CNN of shared/research/webgpu-on-cpu.md's peer table. */
const SMALL_CNN = `model small_cnn(x: Tensor[B, 1, 28, 28]) {
  h = maxpool2d(relu(conv2d(x, 16, 3)), 2)
  h = maxpool2d(relu(conv2d(h, 32, 3)), 2)
  return linear(flatten(h), 10)
}
`;

interface Case {
  readonly name: string;
  readonly graph: Graph;
  readonly dims: Record<string, number>;
  readonly runs: number;
  readonly train?: ReadonlyMap<string, string>;
  /** The same work for the peers; forward passes are mdl's alone. */
  readonly peer?: Workload;
}

interface Row {
  readonly c: Case;
  readonly kernels: number;
  readonly ms: number;
  readonly gflops: number;
  readonly compile: number;
  readonly plan: Plan;
}

const PEER_NAMES = ['tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu', 'jax-js-webgpu', 'jax-js-wasm'] as const;

/** The peers BENCH_PEERS asks for, with a line each about the adapter they really got. */
async function loadPeers(report: AdapterReport): Promise<{ peers: Peer[]; notes: string[] }> {
  const env = process.env['BENCH_PEERS']?.trim();
  const wanted = new Set(
    env === undefined || env === '' || env === 'all'
      ? PEER_NAMES
      : env === 'none'
        ? []
        : env.split(',').map((s) => s.trim()),
  );
  const peers: Peer[] = [];
  const notes: string[] = [];
  const pick = (ps: Peer[]) => peers.push(...ps.filter((p) => wanted.has(p.name)));
  if ([...wanted].some((n) => n.startsWith('tfjs-'))) {
    const { tfjsPeers } = await import('./peers/tfjs.js');
    const t = await tfjsPeers(report);
    pick(t.peers);
    if (wanted.has('tfjs-webgpu')) notes.push(t.note);
  }
  if ([...wanted].some((n) => n.startsWith('jax-js-'))) {
    const { jaxPeers } = await import('./peers/jax.js');
    const j = await jaxPeers(report);
    pick(j.peers);
    if (wanted.has('jax-js-webgpu')) notes.push(j.note);
  }
  return { peers, notes };
}

const fmtMs = (ms: number) => (ms >= 1000 ? ms.toFixed(0) : ms >= 100 ? ms.toFixed(1) : ms.toFixed(2));

export async function benchKernels(): Promise<void> {
  const acq = await acquireDevice();
  const target = targetOf(acq.report);
  console.log(`\nWebGPU: ${formatReport(acq.report)}`);
  console.log(
    `(load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}: other processes on this machine slow every figure)`,
  );
  const step = (g: Graph) =>
    buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
  const mlp = graphOfFile('examples/mlp.mdl');
  const lenet = graphOfFile('examples/lenet5.mdl');
  const cnn = graphOf(SMALL_CNN);
  const cases: Case[] = [
    { name: 'MLP 784-256-10 forward, b128', graph: mlp, dims: { B: 128 }, runs: 30 },
    { name: 'LeNet-5 forward, b64', graph: lenet, dims: { B: 64 }, runs: 20 },
  ];
  for (const [name, g, kind, B] of [
    ['MLP 784-256-10 train step, b128', mlp, 'mlp', 128],
    ['small CNN train step, b64', cnn, 'small_cnn', 64],
    ['LeNet-5 train step, b64', lenet, 'lenet5', 64],
  ] as const) {
    const ts = step(g);
    cases.push({ name, graph: ts.graph, dims: { B }, runs: 15, train: ts.updates, peer: { kind, batch: B } });
  }
  const mm = 'model mm(a: Tensor[1024, 1024], b: Tensor[1024, 1024]) {\n  return a @ b\n}\n';
  cases.push({
    name: 'matmul 1024×1024×1024',
    graph: graphOf(mm),
    dims: {},
    runs: 10,
    peer: { kind: 'matmul', batch: 0 },
  });

  // mdl first, alone in the process: no peer's device or threads exist yet.
  const rows: Row[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    const plan = planGraph(c.graph, {
      target,
      dims: c.dims,
      training: c.train !== undefined,
      ...(c.train ? { updates: c.train } : {}),
    });
    const ex = await Executor.create(acq.device, plan, { seed: 0 });
    const compile = (performance.now() - t0) / 1000;
    const inputs = benchInputs(plan);
    // A training step reads back only its loss (metrics every k steps would read less still).
    const read = c.train ? ['loss'] : undefined;
    // Every step trains on the same batch, so the loss must fall (the peers are held to it too).
    const watch = new LossWatch();
    const ms = await timeRuns(ex, inputs, read, c.runs, c.train ? (out) => watch.see(out.get('loss')!) : undefined);
    if (c.train && watch.problem()) console.log(`${c.name}: ${watch.problem()}`);
    const flops = summarize(c.graph, c.dims).flops;
    rows.push({ c, kernels: plan.dispatches.length, ms, gflops: flops / ms / 1e6, compile, plan });
    ex.destroy();
  }

  const { peers, notes } = await loadPeers(acq.report);
  const results = new Map<string, PeerResult>();
  for (const p of peers)
    for (const r of rows) if (r.c.peer) results.set(`${p.name}|${r.c.name}`, await p.time(r.c.peer));

  // One table: mdl's figures, then each peer's ms and its ratio to mdl (peer ms / mdl ms, so
  // 5.0× means mdl is five times faster). A peer that cannot do the work gets a numbered note.
  const reasons: string[] = [];
  const cell = (r: Row, p: Peer): string => {
    if (!r.c.peer) return '–';
    const res = results.get(`${p.name}|${r.c.name}`)!;
    if ('reason' in res) {
      let k = reasons.indexOf(`${p.name}: ${res.reason}`);
      if (k < 0) k = reasons.push(`${p.name}: ${res.reason}`) - 1;
      return `cannot [${k + 1}]`;
    }
    return `${fmtMs(res.ms)} (${(res.ms / r.ms).toFixed(1)}×)`;
  };
  const W = 18;
  console.log(`\nmdl against peers, ms (median; ratio = peer ms / mdl ms)`);
  console.log(
    `${'work'.padEnd(33)} ${'kernels'.padStart(7)} ${'mdl ms'.padStart(8)} ${'GFLOP/s'.padStart(8)} ${'compile s'.padStart(9)}${peers.map((p) => p.name.padStart(W)).join('')}`,
  );
  for (const r of rows)
    console.log(
      `${r.c.name.padEnd(33)} ${String(r.kernels).padStart(7)} ${fmtMs(r.ms).padStart(8)} ${r.gflops.toFixed(2).padStart(8)} ${r.compile.toFixed(2).padStart(9)}${peers.map((p) => cell(r, p).padStart(W)).join('')}`,
    );
  for (const n of notes) console.log(`  ${n}`);
  reasons.forEach((m, i) => console.log(`  [${i + 1}] ${m}`));
  if (peers.length === 0) console.log('  (no peers: BENCH_PEERS=none)');

  // The runtime's targets on this 2-core CPU adapter.
  const row = (name: string) => rows.find((r) => r.c.name === name)!;
  const mlpRow = row('MLP 784-256-10 train step, b128');
  const cnnRow = row('small CNN train step, b64');
  const mmRow = row('matmul 1024×1024×1024');
  const ratio = (r: Row): number | undefined => {
    const res = results.get(`tfjs-webgpu|${r.c.name}`);
    return res && 'ms' in res ? res.ms / r.ms : undefined;
  };
  const targets: [string, boolean | undefined, string][] = [
    ['MLP train step ≤ 12 ms', mlpRow.ms <= 12, `${fmtMs(mlpRow.ms)} ms`],
    ['small CNN train step ≤ 90 ms', cnnRow.ms <= 90, `${fmtMs(cnnRow.ms)} ms`],
    [
      'MLP step ≥ 4× faster than tfjs-webgpu',
      ratio(mlpRow) === undefined ? undefined : ratio(mlpRow)! >= 4,
      ratio(mlpRow) === undefined ? 'tfjs-webgpu did not run' : `${ratio(mlpRow)!.toFixed(1)}×`,
    ],
    [
      'CNN step ≥ 4× faster than tfjs-webgpu',
      ratio(cnnRow) === undefined ? undefined : ratio(cnnRow)! >= 4,
      ratio(cnnRow) === undefined ? 'tfjs-webgpu did not run' : `${ratio(cnnRow)!.toFixed(1)}×`,
    ],
    ['matmul 1024³ ≥ 10 GFLOP/s', mmRow.gflops >= 10, `${mmRow.gflops.toFixed(1)} GFLOP/s`],
  ];
  console.log('targets:');
  for (const [what, ok, got] of targets)
    console.log(
      `  ${what.padEnd(40)} ${got.padStart(16)}  ${ok === undefined ? 'not measured' : ok ? 'met' : 'MISSED'}`,
    );

  for (const p of peers) await p.close();
  if (process.argv.includes('--profile'))
    for (const r of [cnnRow, mlpRow]) await profileKernels(acq.device, r.c.name, r.plan, r.c.graph, r.c.dims, r.ms);
  acq.device.destroy();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchKernels();
  // Dawn instances made for the peers keep the event loop alive; the bench is done.
  process.exit(0);
}
