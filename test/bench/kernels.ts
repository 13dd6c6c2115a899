// `npm run bench`, part 2: WebGPU forward passes through the compiled plan (kernels, fusion,
// memory plan, executor) on the adapter the runtime finds by itself. Times are medians of
// back-to-back runs after warm-up, inputs uploaded and outputs read back every run; GFLOP/s
// come from the static analysis's FLOP count (compiler/analysis/summary.ts). Peers (TF.js,
// jax-js) are not installed yet, so no ratios are printed; they will run in this script, on the
// same adapter, when they are.
import { performance } from 'node:perf_hooks';
import { summarize } from '../../compiler/analysis/summary.js';
import { compileModel } from '../../compiler/compile.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph, type Plan } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { readFileSync } from 'node:fs';
import { acquireDevice, formatReport } from '../../runtime/device.js';
import { Executor, type HostArray } from '../../runtime/executor.js';

function graphOf(path: string, text?: string): Graph {
  const r = compileModel({ path, text: text ?? readFileSync(path, 'utf8') }, nodeHost);
  if (!r.graph) throw new Error(`${path} did not compile`);
  return r.graph;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function randomInputs(plan: Plan): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  let s = 1;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  for (const i of plan.inputs) {
    const n = i.shape.reduce((a, d) => a * d, 1);
    out[i.name] = i.dtype === 'i32' ? Int32Array.from({ length: n }, () => 0) : Float32Array.from({ length: n }, rnd);
  }
  return out;
}

export async function benchKernels(): Promise<void> {
  const acq = await acquireDevice();
  const target = targetOf(acq.report);
  console.log(`\nWebGPU forward passes: ${formatReport(acq.report)}`);
  console.log(`${'work'.padEnd(30)} ${'kernels'.padStart(7)} ${'ms (median)'.padStart(12)} ${'GFLOP/s'.padStart(8)} ${'compile s'.padStart(10)}`);
  const cases: { name: string; graph: Graph; dims: Record<string, number>; runs: number }[] = [
    { name: 'MLP 784-256-10, batch 128', graph: graphOf('examples/mlp.mdl'), dims: { B: 128 }, runs: 30 },
    { name: 'LeNet-5, batch 64', graph: graphOf('examples/lenet5.mdl'), dims: { B: 64 }, runs: 20 },
    { name: 'matmul 1024×1024×1024', graph: graphOf('matmul.mdl', 'model mm(a: Tensor[1024, 1024], b: Tensor[1024, 1024]) {\n  return a @ b\n}\n'), dims: {}, runs: 10 },
  ];
  for (const c of cases) {
    const t0 = performance.now();
    const plan = planGraph(c.graph, { target, dims: c.dims });
    const ex = await Executor.create(acq.device, plan, { seed: 0 });
    const compile = (performance.now() - t0) / 1000;
    const inputs = randomInputs(plan);
    for (let i = 0; i < 3; i++) await ex.run({ inputs });
    const times: number[] = [];
    for (let i = 0; i < c.runs; i++) {
      const t = performance.now();
      await ex.run({ inputs });
      times.push(performance.now() - t);
    }
    const ms = median(times);
    const flops = summarize(c.graph, c.dims).flops;
    console.log(`${c.name.padEnd(30)} ${String(plan.dispatches.length).padStart(7)} ${ms.toFixed(2).padStart(12)} ${(flops / ms / 1e6).toFixed(2).padStart(8)} ${compile.toFixed(2).padStart(10)}`);
    ex.destroy();
  }
  console.log('(peers: TF.js and jax-js are not installed yet; their rows and the ratios come with them)');
  acq.device.destroy();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKernels();
