// Compute pipelines shared by every plan run on a device in this process, keyed by their WGSL
// and layout. Programs that compile many related graphs (a search space's candidates, a proxy's
// gradient graphs) share most of their kernels, and on a CPU adapter a pipeline is dear: Dawn
// translates the WGSL, and Mesa compiles machine code at the pipeline's first dispatch
// (0.1–1 s a kernel). A pipeline taken from here has that done already.
//
// Layouts are always 'auto' (derived from the WGSL), so the code alone decides the layout; the
// key still names it so another layout could not be mistaken for this one. A bind group made
// from a cached pipeline's layout is used with that same pipeline only, as WebGPU requires of
// 'auto' layouts. The cache holds at most MAX pipelines and drops the least recently used.
export class PipelineError extends Error {}

const MAX = 1024;

export interface CacheStats {
  hits: number;
  misses: number;
}

export class PipelineCache {
  private readonly entries = new Map<string, Promise<GPUComputePipeline>>();
  readonly stats: CacheStats = { hits: 0, misses: 0 };

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.entries.size;
  }

  /** Whether a pipeline for this WGSL is held (a request for it would be a hit). */
  has(wgsl: string): boolean {
    return this.entries.has(key(wgsl));
  }

  /** The pipeline of `wgsl` (entry point `main`, layout 'auto'), created asynchronously once. */
  get(wgsl: string, label: string): Promise<GPUComputePipeline> {
    const k = key(wgsl);
    const held = this.entries.get(k);
    if (held) {
      this.stats.hits++;
      // Most recently used last: re-inserting moves it there.
      this.entries.delete(k);
      this.entries.set(k, held);
      return held;
    }
    this.stats.misses++;
    const p = create(this.device, wgsl, label);
    // A kernel that fails to compile is not kept: the error is the caller's to report.
    p.catch(() => this.entries.get(k) === p && this.entries.delete(k));
    this.entries.set(k, p);
    if (this.entries.size > MAX) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }
}

function key(wgsl: string): string {
  return `auto\n${wgsl}`;
}

/** A pipeline made without any cache (`cache: false` in the executor's options). */
export function create(device: GPUDevice, wgsl: string, label: string): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label, code: wgsl });
  return device
    .createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint: 'main' } })
    .catch(async (e: unknown) => {
      const info = await module.getCompilationInfo();
      const msgs = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
      throw new PipelineError(`kernel ${label} failed to compile: ${(e as Error).message}\n${msgs}\n${wgsl}`);
    });
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** The cache of a device (one per device, made on first use). */
export function pipelineCache(device: GPUDevice): PipelineCache {
  let c = caches.get(device);
  if (!c) caches.set(device, (c = new PipelineCache(device)));
  return c;
}

const layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();

/**
 * The bind group layout of a pipeline's group 0, asked of Dawn once per pipeline: a plan binds
 * every dispatch, and its repeated kernels (and every kernel a cached pipeline serves) share
 * the pipeline, so the layout is the same object each time (Dawn makes a new one per call).
 */
export function layoutOf(pipeline: GPUComputePipeline): GPUBindGroupLayout {
  let l = layouts.get(pipeline);
  if (!l) layouts.set(pipeline, (l = pipeline.getBindGroupLayout(0)));
  return l;
}
