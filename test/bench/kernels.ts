// `npm run bench`, the kernel part: WebGPU forward passes and whole training steps (forward,
// loss, backward, SGD-with-momentum update, in one command encoder) through the compiled plan
// (kernels, fusion, memory plan, executor) on the adapter the runtime finds by itself. Times are
// medians of back-to-back runs after warm-up, inputs uploaded every run, the outputs (forward)
// or the loss (training) read back; GFLOP/s come from the static analysis's FLOP count of the
// graph that runs (compiler/analysis/summary.ts). Peers (TF.js, jax-js) are not installed yet,
// so no ratios are printed; they will run in this script, on the same adapter, when they are.
import { performance } from 'node:perf_hooks';
import { summarize } from '../../compiler/analysis/summary.js';
import { compileModel } from '../../compiler/compile.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph, type Plan } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { readFileSync } from 'node:fs';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { acquireDevice, formatReport } from '../../runtime/device.js';
import { Executor, type HostArray } from '../../runtime/executor.js';

function graphOf(path: string, text?: string): Graph {
  const r = compileModel({ path, text: text ?? readFileSync(path, 'utf8') }, nodeHost);
  if (!r.graph) throw new Error(`${path} did not compile`);
  return r.graph;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The small CNN of shared/research/webgpu-on-cpu.md's peer table. */
const SMALL_CNN = `model small_cnn(x: Tensor[B, 1, 28, 28]) {
  h = maxpool2d(relu(conv2d(x, 16, 3)), 2)
  h = maxpool2d(relu(conv2d(h, 32, 3)), 2)
  return linear(flatten(h), 10)
}
`;

function randomInputs(plan: Plan): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  let s = 1;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  for (const i of plan.inputs) {
    const n = i.shape.reduce((a, d) => a * d, 1);
    out[i.name] = i.dtype === 'i32' ? Int32Array.from({ length: n }, (_, k) => k % 10) : i.name === 'lr' ? new Float32Array([0.01]) : Float32Array.from({ length: n }, rnd);
  }
  return out;
}

export async function benchKernels(): Promise<void> {
  const acq = await acquireDevice();
  const target = targetOf(acq.report);
  console.log(`\nWebGPU forward passes: ${formatReport(acq.report)}`);
  console.log(`(load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}: other processes on this machine slow every figure)`);
  console.log(`${'work'.padEnd(34)} ${'kernels'.padStart(7)} ${'ms (median)'.padStart(12)} ${'GFLOP/s'.padStart(8)} ${'compile s'.padStart(10)}`);
  const step = (g: Graph) => buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
  const mlp = graphOf('examples/mlp.mdl');
  const lenet = graphOf('examples/lenet5.mdl');
  const cnn = graphOf('small_cnn.mdl', SMALL_CNN);
  const cases: { name: string; graph: Graph; dims: Record<string, number>; runs: number; train?: ReadonlyMap<string, string>; flops?: Graph }[] = [
    { name: 'MLP 784-256-10, batch 128', graph: mlp, dims: { B: 128 }, runs: 30 },
    { name: 'LeNet-5, batch 64', graph: lenet, dims: { B: 64 }, runs: 20 },
    { name: 'matmul 1024×1024×1024', graph: graphOf('matmul.mdl', 'model mm(a: Tensor[1024, 1024], b: Tensor[1024, 1024]) {\n  return a @ b\n}\n'), dims: {}, runs: 10 },
  ];
  for (const [name, g, B] of [
    ['MLP 784-256-10 train step, b128', mlp, 128],
    ['small CNN train step, b64', cnn, 64],
    ['LeNet-5 train step, b64', lenet, 64],
  ] as const) {
    const ts = step(g);
    cases.push({ name, graph: ts.graph, dims: { B }, runs: 15, train: ts.updates });
  }
  for (const c of cases) {
    const t0 = performance.now();
    const plan = planGraph(c.graph, { target, dims: c.dims, training: c.train !== undefined, ...(c.train ? { updates: c.train } : {}) });
    const ex = await Executor.create(acq.device, plan, { seed: 0 });
    const compile = (performance.now() - t0) / 1000;
    const inputs = randomInputs(plan);
    // A training step reads back only its loss (metrics every k steps would read less still).
    const read = c.train ? ['loss'] : undefined;
    for (let i = 0; i < 3; i++) await ex.run({ inputs, ...(read ? { read } : {}) });
    const times: number[] = [];
    for (let i = 0; i < c.runs; i++) {
      const t = performance.now();
      await ex.run({ inputs, ...(read ? { read } : {}) });
      times.push(performance.now() - t);
    }
    const ms = median(times);
    const flops = summarize(c.graph, c.dims).flops;
    console.log(`${c.name.padEnd(34)} ${String(plan.dispatches.length).padStart(7)} ${ms.toFixed(2).padStart(12)} ${(flops / ms / 1e6).toFixed(2).padStart(8)} ${compile.toFixed(2).padStart(10)}`);
    ex.destroy();
  }
  console.log('(peers: TF.js and jax-js are not installed yet; their rows and the ratios come with them)');
  acq.device.destroy();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKernels();
