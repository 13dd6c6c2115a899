// The real-GPU bench (the performance issue's last item), one command for whoever has a GPU:
//
//   npm run build && node dist/test/bench/gpu.js --peak-gflops 51000 --bandwidth-gbs 3350 \
//       --out docs/performance.md
//
// (the figures are the card's fp32 peak and memory bandwidth, from its data sheet). For each
// model (default ResNet-20 at batch 128 and ResNet-50 at batch 64) it times a whole training
// step (forward, cross-entropy, backward, SGD with momentum; the median of 10 after 3 warm-up
// steps), then every kernel of that step alone (runtime/kernel-times.ts), and writes the
// slowest kernels' roofline (roofline.ts): achieved GFLOP/s and GB/s, arithmetic intensity,
// which roof bounds each, and how close it comes. Then a square matmul's GFLOP/s against the
// peak (the issue asks ≥ 50 %). `npm run bench` adds the peers' rows on the same card.
//
// On a CPU adapter it refuses unless given --allow-software (then: a smoke run, e.g.
// `--models resnet20:4 --matmul 256`).
import { renameSync, writeFileSync } from 'node:fs';
import { summarize } from '../../compiler/analysis/summary.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { dispatchCosts } from '../../compiler/kernels/dispatch-costs.js';
import { KernelError } from '../../compiler/kernels/lowering.js';
import { planGraph, type Plan } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { acquireDevice, formatReport } from '../../runtime/device.js';
import { Executor } from '../../runtime/executor.js';
import { timeKernels } from '../../runtime/kernel-times.js';
import { graphOf, graphOfFile } from '../helpers/compile.js';
import { benchInputs } from './inputs.js';
import { timeRuns } from './steps.js';
import { roofline, rooflineTable, type Card } from '../../compiler/kernels/roofline.js';

interface Options {
  readonly card?: Card;
  readonly out?: string;
  readonly models: readonly { readonly file: string; readonly batch: number }[];
  readonly matmul: number;
  readonly allowSoftware: boolean;
  readonly top: number;
}

function options(argv: readonly string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string) => {
    const v = get(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`${flag} needs a positive number, got "${v}"`);
    return n;
  };
  const peak = num('--peak-gflops');
  const bw = num('--bandwidth-gbs');
  if ((peak === undefined) !== (bw === undefined))
    throw new Error('--peak-gflops and --bandwidth-gbs go together (the card’s fp32 peak and bandwidth)');
  const models = (get('--models') ?? 'resnet20:128,resnet50:64').split(',').map((m) => {
    const [name, b] = m.split(':');
    const batch = Number(b);
    if (!name || !Number.isInteger(batch) || batch < 1) throw new Error(`--models: "${m}" is not NAME:BATCH`);
    return { file: `examples/${name}.mdl`, batch };
  });
  const out = get('--out');
  return {
    ...(peak !== undefined && bw !== undefined ? { card: { peakGflops: peak, bandwidthGbs: bw } } : {}),
    ...(out !== undefined ? { out } : {}),
    models,
    matmul: num('--matmul') ?? 4096,
    allowSoftware: argv.includes('--allow-software'),
    top: num('--top') ?? 25,
  };
}

let opts: Options;
try {
  opts = options(process.argv.slice(2));
} catch (e) {
  console.error(`gpu bench: ${(e as Error).message}`);
  process.exit(2);
}
const acq = await acquireDevice();
const adapter = formatReport(acq.report).replace(/^WebGPU adapter: /, '');
if (acq.report.software && !opts.allowSoftware) {
  console.error(
    `${adapter}\nthis is a CPU adapter: the GPU bench is for a real GPU (--allow-software for a smoke run)`,
  );
  process.exit(2);
}
const target = targetOf(acq.report);
const md: string[] = [
  '# Performance on a GPU',
  '',
  `Adapter: ${adapter}.`,
  opts.card
    ? `Card figures given: fp32 peak ${opts.card.peakGflops} GFLOP/s, memory bandwidth ${opts.card.bandwidthGbs} GB/s (ridge point ${(opts.card.peakGflops / opts.card.bandwidthGbs).toFixed(1)} FLOP/byte).`
    : 'No card figures given (--peak-gflops, --bandwidth-gbs): rates only, no roofline.',
  '',
  `Made by \`node dist/test/bench/gpu.js ${process.argv.slice(2).join(' ')}\`. Each kernel is timed alone (the` +
    ' dispatch repeated in one submit, median of 5, wall clock); its FLOPs are its fused IR nodes’, its bytes' +
    ' what it must at least read and write, so GB/s is a lower bound on its traffic.',
];

for (const m of opts.models) {
  const g = graphOfFile(m.file);
  const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
  const dims = { B: m.batch };
  const title = `${g.name}, training step at batch ${m.batch}`;
  console.log(`\n${title}`);
  let plan: Plan;
  try {
    plan = planGraph(step.graph, { target, dims, training: true, updates: step.updates });
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    console.log(`  cannot plan it here: ${e.message}`);
    md.push('', `## ${title}`, '', `Not planned on this adapter: ${e.message}`);
    continue;
  }
  const ex = await Executor.create(acq.device, plan, { seed: 0 });
  const stepMs = await timeRuns(ex, benchInputs(plan), ['loss'], 10);
  ex.destroy();
  const flops = summarize(step.graph, dims).flops;
  const t = await timeKernels(acq.device, plan);
  const costs = dispatchCosts(step.graph, plan.dispatches, dims);
  const rows = roofline(
    plan.dispatches.map((d, i) => ({ name: d.name, ms: t.ms[i]!, flops: costs[i]!.flops, bytes: costs[i]!.bytes })),
    opts.card,
  );
  const sum = t.ms.reduce((s, x) => s + x, 0);
  const summary =
    `step ${stepMs.toFixed(2)} ms (${((m.batch * 1000) / stepMs).toFixed(0)} samples/s, ${(flops / stepMs / 1e6).toFixed(1)} GFLOP/s` +
    `${opts.card ? `, ${((flops / stepMs / 1e6 / opts.card.peakGflops) * 100).toFixed(1)} % of peak` : ''}); ` +
    `${plan.dispatches.length} kernels, ${sum.toFixed(2)} ms timed alone, the pass in one submit ${t.passMs.toFixed(2)} ms`;
  console.log(`  ${summary}`);
  md.push('', `## ${title}`, '', summary + '.', '', `The ${Math.min(opts.top, rows.length)} slowest kernels:`, '');
  md.push(rooflineTable(rows, opts.top));
}

const n = opts.matmul;
const mm = graphOf(`model mm(a: Tensor[${n}, ${n}], b: Tensor[${n}, ${n}]) {\n  return a @ b\n}\n`);
const mmPlan = planGraph(mm, { target, dims: {} });
const mmEx = await Executor.create(acq.device, mmPlan, { seed: 0 });
const mmMs = await timeRuns(mmEx, benchInputs(mmPlan), [], 10);
mmEx.destroy();
const mmGflops = (2 * n ** 3) / mmMs / 1e6;
const mmLine =
  `matmul ${n}×${n}×${n}: ${mmMs.toFixed(2)} ms, ${mmGflops.toFixed(1)} GFLOP/s` +
  (opts.card ? `, ${((mmGflops / opts.card.peakGflops) * 100).toFixed(1)} % of the fp32 peak (aim ≥ 50 %)` : '');
console.log(`\n${mmLine}`);
md.push('', '## Matmul', '', mmLine + '.', '');
if (opts.out) {
  // Written whole, then renamed: an interrupted run leaves the old page.
  writeFileSync(`${opts.out}.tmp`, md.join('\n'));
  renameSync(`${opts.out}.tmp`, opts.out);
  console.log(`wrote ${opts.out}`);
}
acq.device.destroy();
process.exit(0);
