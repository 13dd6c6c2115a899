// Per-kernel times of a plan: where a pass's time goes. The executor records a whole plan in one
// compute pass and times nothing inside it (WebGPU's timestamp queries are an optional feature
// and mark only where a pass begins and ends), so this times each dispatch alone, by wall
// clock, which every adapter and route allows: the dispatch repeated `reps` times in one pass,
// one submit, waited for with the thread blocked in slices (wait.ts). A figure therefore includes the dispatch's own overhead (≈ 15 µs on llvmpipe) and
// runs with the kernel's data warm in the caches, so the sum of the kernels is not the whole
// pass's time: both are reported.
//
// It runs on buffers of its own, sized like the plan's and zeroed, never on a model's: kernels
// that read and write the same buffer (in-place updates) change what they compute on when
// repeated, never how much. Pipelines come from the device's shared cache (pipeline-cache.ts).
import type { ExecutablePlan } from './plan/types.js';
import { layoutOf, pipelineCache } from './pipeline-cache.js';
import { quietly } from './wait.js';
import { median } from './median.js';

export interface KernelTimeOptions {
  /** Dispatches per timed submit (default 10). */
  readonly reps?: number;
  /** Timed submits per kernel; the median is reported (default 5). */
  readonly samples?: number;
}

export interface KernelTimes {
  /** Per dispatch, in plan order: median ms of one dispatch. */
  readonly ms: readonly number[];
  /** The whole plan in one pass, as the executor runs it: median ms. */
  readonly passMs: number;
  readonly reps: number;
  readonly samples: number;
}

export async function timeKernels(
  device: GPUDevice,
  plan: ExecutablePlan,
  opts: KernelTimeOptions = {},
): Promise<KernelTimes> {
  const reps = opts.reps ?? 10;
  const samples = opts.samples ?? 5;
  if (!(Number.isInteger(reps) && reps >= 1 && Number.isInteger(samples) && samples >= 1))
    throw new RangeError(`reps and samples must be positive integers, got ${reps} and ${samples}`);
  const buffers = plan.buffers.map((b) =>
    device.createBuffer({ size: Math.max(16, b.bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST }),
  );
  const rng = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  try {
    const cache = pipelineCache(device);
    const pipelines = await quietly(Promise.all(plan.dispatches.map((d) => cache.get(d.wgsl, d.name))));
    const groups = plan.dispatches.map((d, i) =>
      device.createBindGroup({
        layout: layoutOf(pipelines[i]!),
        entries: d.bindings.map((b, k) => ({
          binding: k,
          resource: { buffer: 'rng' in b ? rng : buffers[b.buffer]! },
        })),
      }),
    );
    /** ms of one submit of the dispatches `which`, each `times` times. */
    const submit = async (which: readonly number[], times: number): Promise<number> => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (const i of which) {
        pass.setPipeline(pipelines[i]!);
        pass.setBindGroup(0, groups[i]!);
        const [x, y, z] = plan.dispatches[i]!.workgroups;
        for (let r = 0; r < times; r++) pass.dispatchWorkgroups(x, y, z);
      }
      pass.end();
      const t = performance.now();
      device.queue.submit([enc.finish()]);
      await quietly(device.queue.onSubmittedWorkDone());
      return performance.now() - t;
    };
    const all = plan.dispatches.map((_, i) => i);
    // The first pass makes the driver compile every kernel's machine code (Mesa does it at a
    // pipeline's first dispatch), so no kernel's figure includes its compilation.
    await submit(all, 1);
    const ms = [];
    for (const i of all) {
      const xs: number[] = [];
      for (let s = 0; s < samples; s++) xs.push((await submit([i], reps)) / reps);
      ms.push(median(xs));
    }
    const passes: number[] = [];
    for (let s = 0; s < samples; s++) passes.push(await submit(all, 1));
    return { ms, passMs: median(passes), reps, samples };
  } finally {
    for (const b of buffers) b.destroy();
    rng.destroy();
  }
}
