// Per-kernel times of a plan, for `npm run bench -- --profile`: where a training step's time
// goes. The executor runs a whole plan in one compute pass and times nothing inside it, so this
// builds the plan's pipelines and buffers again and times each dispatch alone: the dispatch
// repeated REPS times in one pass, one submit, wall clock. Like the executor it waits for the
// GPU with the thread blocked in slices (runtime/wait.ts: Dawn spins the JS thread while a GPU
// promise is pending, which takes a core from a CPU adapter). A figure includes the dispatch's own
// overhead (≈ 15 µs on llvmpipe); kernels reading and writing the same buffers are idempotent or
// in-place, so repeating one changes what it computes on, never how much.
import { performance } from 'node:perf_hooks';
import { summarize } from '../../compiler/analysis/summary.js';
import type { Graph } from '../../compiler/ir/types.js';
import type { Plan } from '../../compiler/kernels/plan.js';
import { median } from './peers/peer.js';
import { quietly } from '../../runtime/wait.js';

const REPS = 10;

export interface KernelTime {
  readonly name: string;
  readonly workgroups: readonly [number, number, number];
  readonly ms: number;
  readonly flops: number;
}

export async function timeKernels(
  device: GPUDevice,
  plan: Plan,
  graph: Graph,
  dims: Record<string, number>,
): Promise<KernelTime[]> {
  const buffers = plan.buffers.map((b) =>
    device.createBuffer({ size: Math.max(16, b.bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST }),
  );
  const rng = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const pipelines = await Promise.all(
    plan.dispatches.map((d) =>
      device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module: device.createShaderModule({ code: d.wgsl }), entryPoint: 'main' },
      }),
    ),
  );
  const groups = plan.dispatches.map((d, i) =>
    device.createBindGroup({
      layout: pipelines[i]!.getBindGroupLayout(0),
      entries: d.bindings.map((b, k) => ({ binding: k, resource: { buffer: 'rng' in b ? rng : buffers[b.buffer]! } })),
    }),
  );
  const flopsOf = new Map(summarize(graph, dims).layers.map((l) => [l.name, l.flops]));
  const once = async (i: number): Promise<number> => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    const d = plan.dispatches[i]!;
    pass.setPipeline(pipelines[i]!);
    pass.setBindGroup(0, groups[i]!);
    for (let r = 0; r < REPS; r++) pass.dispatchWorkgroups(...d.workgroups);
    pass.end();
    const t = performance.now();
    device.queue.submit([enc.finish()]);
    await quietly(device.queue.onSubmittedWorkDone());
    return (performance.now() - t) / REPS;
  };
  const out: KernelTime[] = [];
  for (let i = 0; i < plan.dispatches.length; i++) {
    const d = plan.dispatches[i]!;
    // The first submit compiles the kernel's machine code (Mesa does it at first dispatch).
    await once(i);
    const times: number[] = [];
    for (let r = 0; r < 5; r++) times.push(await once(i));
    out.push({
      name: d.name,
      workgroups: d.workgroups,
      ms: median(times),
      flops: d.nodes.reduce((s, n) => s + (flopsOf.get(n) ?? 0), 0),
    });
  }
  for (const b of buffers) b.destroy();
  rng.destroy();
  return out;
}

export async function profileKernels(
  device: GPUDevice,
  title: string,
  plan: Plan,
  graph: Graph,
  dims: Record<string, number>,
  stepMs: number,
): Promise<void> {
  const ks = await timeKernels(device, plan, graph, dims);
  const total = ks.reduce((s, k) => s + k.ms, 0);
  console.log(
    `\n${title}: ${ks.length} kernels, each timed alone (ms, median of 5 × ${REPS} dispatches); sum ${total.toFixed(2)} ms, whole step ${stepMs.toFixed(2)} ms`,
  );
  console.log(
    `${'kernel'.padEnd(52)} ${'workgroups'.padStart(14)} ${'ms'.padStart(7)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)}`,
  );
  for (const k of [...ks].sort((a, b) => b.ms - a.ms))
    console.log(
      `${k.name.slice(0, 52).padEnd(52)} ${k.workgroups.join('×').padStart(14)} ${k.ms.toFixed(3).padStart(7)} ${`${((k.ms / total) * 100).toFixed(0)}%`.padStart(6)} ${(k.flops > 0 ? (k.flops / k.ms / 1e6).toFixed(2) : '–').padStart(8)}`,
    );
}
