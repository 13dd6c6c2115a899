// The executor of a compiled plan (the format: plan/types.ts; the planner: compiler/kernels/plan.ts). Everything is created once, up
// front: the plan's buffers (exactly its memory plan, nothing more), one staging buffer per
// readable value, every pipeline (asynchronously, all at once, taken from the device's cache
// that every plan in the process shares: pipeline-cache.ts) and every bind group. A run writes
// the inputs, records every dispatch into one compute pass of one command encoder, copies only
// the values asked for into their staging buffers, submits once and maps the staging buffers.
//
// It never busy-waits: Dawn's Node binding spins the JS thread while a GPU promise is pending,
// which on a CPU adapter steals a core from the driver (shared/research/webgpu-on-cpu.md):
// measured here, a LeNet-5 forward pass takes 7 ms when the thread sleeps and 14 ms when it
// waits on the promise. So a run sleeps on a timer for a little less than the time the GPU is
// expected to take (pace.ts learns it from the runs), then waits for mapAsync with the thread
// blocked in short slices instead of spinning (wait.ts).
//
// Mesa's CPU drivers compile a pipeline's machine code at its first dispatch, not when it is
// created (0.1–1 s per kernel, cached on disk afterwards). So `create` also runs every
// dispatch once (a warm-up, on the real buffers) and then restores the parameters and state it
// wrote, so the first real run costs what every run costs.
import { routeOf } from './adapter.js';
import type { BindingRef, ExecutablePlan, PlanParam, ReadSpec } from './plan/types.js';
import { initValues } from './random/init.js';
import { Pace } from './pace.js';
import { create as createPipeline, layoutOf, pipelineCache, PipelineError } from './pipeline-cache.js';
import type { StageClock } from './stages.js';
import { quietly } from './wait.js';

export type HostArray = Float32Array | Int32Array;

/**
 * What the executor needs of a plan: everything but the kernels' IR (it runs their WGSL). A
 * plan straight from the planner is one; so is a plan loaded from its JSON form (plan/plan-json.ts).
 */
export type { ExecutablePlan };

export interface RunRequest {
  /** Values of the graph's inputs, by name (Float32Array, or Int32Array for i32 inputs). */
  readonly inputs: Readonly<Record<string, HostArray>> | ReadonlyMap<string, HostArray>;
  /** Names of readable values to read back (default: the graph's outputs). */
  readonly read?: readonly string[];
  /** The step of the random streams (dropout); default 0. */
  readonly step?: number;
}

export class ExecutorError extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ExecutorOptions {
  /** Seed of parameter initialisation and of the random streams. Default 0. */
  readonly seed?: number;
  /** Initial values of parameters and buffers by name (others come from their initialisers). */
  readonly params?: ReadonlyMap<string, ArrayLike<number>>;
  /** Label used in error messages and GPU object labels. */
  readonly label?: string;
  /** Run every dispatch once at creation so the driver compiles it then (default true). */
  readonly warmUp?: boolean;
  /**
   * Sleep for the expected GPU time before awaiting a run (default true): against Dawn's
   * spinning thread in Node. A browser does not spin, and its GPU promises resolve an IPC round
   * trip late, which the learnt expectation would add to itself at every run (measured in
   * Chromium: an MLP step slowed from 46 to 230 ms over 120 runs); the browser build turns it off.
   * Never on the OpenGL route, whose work is done when submit returns (see the constructor).
   */
  readonly sleep?: boolean;
  /**
   * Take pipelines from the device's cache shared by every executor in the process (default
   * true; runtime/pipeline-cache.ts). False creates this plan's own (measurements, tests).
   */
  readonly cache?: boolean;
  /**
   * Times the stages (pipelines, upload, execute, readback) into this clock. A run then waits
   * for the dispatches before it maps what it reads, to tell execution from readback.
   */
  readonly clock?: StageClock;
}

export class Executor {
  private readonly buffers: GPUBuffer[];
  private readonly staging = new Map<string, { spec: ReadSpec; buf: GPUBuffer }>();
  private readonly rngBuf: GPUBuffer | undefined;
  private readonly seed: number;
  private readonly sleepFirst: boolean;
  private readonly useCache: boolean;
  private readonly clock: StageClock | undefined;
  private pipelines: GPUComputePipeline[] = [];
  private bindGroups: GPUBindGroup[] = [];
  /** How long to sleep before awaiting a run, learnt from the runs. */
  private readonly pace = new Pace();
  /** Parameter and state values written at creation, by name: the warm-up restores them. */
  private readonly initial = new Map<string, { buffer: number; byteOffset: number; data: Float32Array }>();
  /** The plan's parameters (and buffers) by name: a proxy sets every one per run, so no linear search. */
  private readonly paramByName: ReadonlyMap<string, ExecutablePlan['params'][number]>;
  /** Bytes of the plan's buffers (inputs, params, state, temporaries) actually allocated. */
  readonly planBytes: number;
  /** Bytes of the staging buffers for reading values back. */
  readonly stagingBytes: number;

  private constructor(
    readonly device: GPUDevice,
    readonly plan: ExecutablePlan,
    opts: ExecutorOptions,
  ) {
    this.seed = opts.seed ?? 0;
    // Dawn's OpenGL backend runs the submitted work inside `submit` (llvmpipe dispatches on the
    // calling thread), so when submit returns the run is done: a sleep would only add itself.
    // Worse, the pace learns it: each run then sleeps 0.9 of the last, plus the work, so the
    // sleep grows to 10× the work (measured: LeNet-5 training at 56 samples/s instead of 240–500).
    this.sleepFirst = (opts.sleep ?? true) && routeOf(device) !== 'opengl';
    this.useCache = opts.cache ?? true;
    this.clock = opts.clock;
    this.paramByName = new Map(plan.params.map((x) => [x.param.name, x]));
    const t0 = performance.now();
    const label = opts.label ?? plan.graph;
    this.buffers = plan.buffers.map((b) =>
      device.createBuffer({
        label: `${label}:${b.name}`,
        size: b.bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      }),
    );
    this.planBytes = plan.buffers.reduce((s, b) => s + b.bytes, 0);
    let staging = 0;
    for (const spec of plan.readable.values()) {
      const size = Math.max(16, Math.ceil(spec.bytes / 16) * 16);
      staging += size;
      this.staging.set(spec.name, {
        spec,
        buf: device.createBuffer({
          label: `${label}:read:${spec.name}`,
          size,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        }),
      });
    }
    this.stagingBytes = staging;
    this.rngBuf = plan.usesRng
      ? device.createBuffer({
          label: `${label}:rng`,
          size: 16,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        })
      : undefined;
    for (const p of plan.params) this.writeParam(p.param, opts.params?.get(p.param.name));
    this.clock?.add('upload', performance.now() - t0);
  }

  /** Builds an executor: buffers, parameters, and every pipeline (compiled concurrently). */
  static async create(device: GPUDevice, plan: ExecutablePlan, opts: ExecutorOptions = {}): Promise<Executor> {
    const ex = new Executor(device, plan, opts);
    const t0 = performance.now();
    await ex.compile();
    opts.clock?.add('pipelines', performance.now() - t0);
    if (opts.warmUp ?? true) await ex.warmUp();
    else ex.initial.clear();
    return ex;
  }

  private async compile(): Promise<void> {
    const { device, plan } = this;
    const shared = this.useCache ? pipelineCache(device) : undefined;
    // Without the shared cache the plan still creates each distinct kernel once.
    const own = new Map<string, Promise<GPUComputePipeline>>();
    const make = (wgsl: string, name: string): Promise<GPUComputePipeline> => {
      if (shared) {
        if (this.clock) {
          this.clock.pipelinesAsked++;
          if (shared.has(wgsl)) this.clock.pipelinesCached++;
        }
        return shared.get(wgsl, name);
      }
      let p = own.get(wgsl);
      if (!p) own.set(wgsl, (p = createPipeline(device, wgsl, name)));
      return p;
    };
    try {
      this.pipelines = await quietly(Promise.all(plan.dispatches.map((d) => make(d.wgsl, d.name))));
    } catch (e) {
      if (e instanceof PipelineError) throw new ExecutorError(e.message);
      throw e;
    }
    this.bindGroups = plan.dispatches.map((d, i) =>
      device.createBindGroup({
        label: d.name,
        layout: layoutOf(this.pipelines[i]!),
        entries: d.bindings.map((b: BindingRef, k) => ({
          binding: k,
          resource: { buffer: 'rng' in b ? this.rngBuf! : this.buffers[b.buffer]! },
        })),
      }),
    );
  }

  private writeParam(p: PlanParam, given: ArrayLike<number> | undefined): void {
    const n = p.shape.reduce((a, d) => a * d, 1);
    let data: Float32Array;
    if (given) {
      if (given.length !== n)
        throw new ExecutorError(`parameter ${p.name}: ${given.length} values for shape [${p.shape.join(', ')}]`);
      data = given instanceof Float32Array ? given : Float32Array.from(given);
    } else data = initValues(p.init, p.shape, this.seed, p.name, 'f32') as Float32Array;
    // Packed parameters (an optimizer group's, see compiler/kernels/groups.ts) share a buffer.
    const { buffer, byteOffset } = this.paramByName.get(p.name)!;
    this.initial.set(p.name, { buffer, byteOffset, data });
    this.device.queue.writeBuffer(this.buffers[buffer]!, byteOffset, data);
  }

  /** Runs every dispatch once, so the driver compiles them now; then restores parameters and state. */
  private async warmUp(): Promise<void> {
    const enc = this.device.createCommandEncoder();
    this.encode(enc, []);
    this.device.queue.submit([enc.finish()]);
    await quietly(this.device.queue.onSubmittedWorkDone());
    for (const x of this.initial.values()) this.device.queue.writeBuffer(this.buffers[x.buffer]!, x.byteOffset, x.data);
    this.initial.clear();
  }

  /** Sets a parameter's (or buffer's) values. */
  setParam(name: string, values: ArrayLike<number>): void {
    const p = this.paramByName.get(name);
    if (!p) throw new ExecutorError(`no parameter named ${name}`);
    const t0 = performance.now();
    this.writeParam(p.param, values);
    this.clock?.add('upload', performance.now() - t0);
  }

  /** Where a parameter (or buffer), or else a readable value after a run, lives: its GPU buffer, byte offset and size. */
  private slot(name: string, readable: boolean): { buf: GPUBuffer; offset: number; bytes: number } {
    const p = this.paramByName.get(name);
    if (p)
      return {
        buf: this.buffers[p.buffer]!,
        offset: p.byteOffset,
        bytes: p.param.shape.reduce((a, d) => a * d, 1) * 4,
      };
    const r = readable ? this.staging.get(name)?.spec : undefined;
    if (!r) throw new ExecutorError(`no parameter${readable ? ' or readable value' : ''} named ${name}`);
    return { buf: this.buffers[r.buffer]!, offset: r.byteOffset, bytes: r.bytes };
  }

  /**
   * Copies parameters (or buffers), or readable values of the last run, of this executor into
   * parameters of another on the same device (or of this one), pairs of (name here, name there):
   * GPU copies queued in order with the runs, no host round trip. Plans of one model (training,
   * inference, the continual driver's small plans) hand tensors to each other this way.
   */
  copyParamsTo(target: Executor, pairs: readonly (readonly [string, string])[]): void {
    if (target.device !== this.device) throw new ExecutorError('copyParamsTo: the executors are on different devices');
    const enc = this.device.createCommandEncoder();
    for (const [from, to] of pairs) {
      const a = this.slot(from, true);
      const b = target.slot(to, false);
      if (a.bytes !== b.bytes)
        throw new ExecutorError(`copyParamsTo: ${from} has ${a.bytes} bytes, ${to} has ${b.bytes}`);
      if (a.bytes > 0) enc.copyBufferToBuffer(a.buf, a.offset, b.buf, b.offset, a.bytes);
    }
    this.device.queue.submit([enc.finish()]);
  }

  /** Reads parameters (or buffers, e.g. batchnorm running statistics) back, by name. */
  async readParams(names: readonly string[]): Promise<Map<string, Float32Array>> {
    const enc = this.device.createCommandEncoder();
    const bufs = names.map((name) => {
      const p = this.paramByName.get(name);
      if (!p) throw new ExecutorError(`no parameter named ${name}`);
      const size = Math.max(4, p.param.shape.reduce((a, d) => a * d, 1) * 4);
      const dst = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc.copyBufferToBuffer(this.buffers[p.buffer]!, p.byteOffset, dst, 0, size);
      return { name, dst, n: p.param.shape.reduce((a, d) => a * d, 1) };
    });
    this.device.queue.submit([enc.finish()]);
    await quietly(Promise.all(bufs.map((b) => b.dst.mapAsync(GPUMapMode.READ))));
    const out = new Map<string, Float32Array>();
    for (const b of bufs) {
      out.set(b.name, new Float32Array(b.dst.getMappedRange().slice(0, b.n * 4)));
      b.dst.destroy();
    }
    return out;
  }

  /** Records the plan's dispatches (and the copies for `read`) into an encoder. */
  encode(enc: GPUCommandEncoder, read: readonly string[]): void {
    const pass = enc.beginComputePass({ label: this.plan.graph });
    this.plan.dispatches.forEach((d, i) => {
      pass.setPipeline(this.pipelines[i]!);
      pass.setBindGroup(0, this.bindGroups[i]!);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    });
    pass.end();
    for (const name of read) {
      const s = this.staging.get(name);
      if (!s)
        throw new ExecutorError(
          `${name} is not readable in this plan (readable: ${[...this.staging.keys()].join(', ')})`,
        );
      enc.copyBufferToBuffer(
        this.buffers[s.spec.buffer]!,
        s.spec.byteOffset,
        s.buf,
        0,
        Math.ceil(s.spec.bytes / 4) * 4,
      );
    }
  }

  private writeInputs(inputs: RunRequest['inputs'], step: number): void {
    const get = (k: string) =>
      inputs instanceof Map ? inputs.get(k) : (inputs as Readonly<Record<string, HostArray>>)[k];
    for (const inp of this.plan.inputs) {
      const data = get(inp.name);
      if (!data) throw new ExecutorError(`no value for input ${inp.name}`);
      const n = inp.shape.reduce((a, d) => a * d, 1);
      if (data.length !== n)
        throw new ExecutorError(`input ${inp.name}: ${data.length} values for shape [${inp.shape.join(', ')}]`);
      if ((inp.dtype === 'i32') !== data instanceof Int32Array)
        throw new ExecutorError(
          `input ${inp.name} must be ${inp.dtype === 'i32' ? 'an Int32Array' : 'a Float32Array'}`,
        );
      this.device.queue.writeBuffer(this.buffers[inp.buffer]!, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    if (this.rngBuf)
      this.device.queue.writeBuffer(this.rngBuf, 0, new Uint32Array([this.seed >>> 0, step >>> 0, 0, 0]));
  }

  /** Whether a run sleeps on a timer before it waits for the GPU (see the constructor). */
  get sleeps(): boolean {
    return this.sleepFirst;
  }

  /** How long a run is expected to take on the GPU, ms (0 before the first run). */
  get expectedMs(): number {
    return this.pace.expectedMs;
  }

  /** Waits for submitted work: a timer for the expected time, then the GPU promise. */
  private async settle<T>(started: number, wait: () => Promise<T>): Promise<T> {
    if (!this.sleepFirst) return wait();
    const planned = this.pace.sleepMs;
    const slept = planned > 0.5 ? planned : 0;
    if (slept > 0) await sleep(slept);
    const woke = performance.now();
    const r = await quietly(wait());
    this.pace.record(slept, woke - started, performance.now() - woke);
    return r;
  }

  /** One run: inputs in, dispatches, the requested values out. */
  async run(req: RunRequest): Promise<Map<string, HostArray>> {
    const read = req.read ?? this.plan.outputs.map((o) => o.name);
    const clock = this.clock;
    const t0 = performance.now();
    this.writeInputs(req.inputs, req.step ?? 0);
    const enc = this.device.createCommandEncoder();
    this.encode(enc, read);
    const started = performance.now();
    clock?.add('upload', started - t0);
    this.device.queue.submit([enc.finish()]);
    const out = new Map<string, HostArray>();
    if (read.length === 0 || clock) {
      await this.settle(started, () => this.device.queue.onSubmittedWorkDone());
      clock?.add('execute', performance.now() - started);
      if (read.length === 0) return out;
    }
    const mapped = performance.now();
    const bufs = read.map((name) => this.staging.get(name)!);
    const map = () => Promise.all(bufs.map((s) => s.buf.mapAsync(GPUMapMode.READ)));
    if (clock) await quietly(map());
    else await this.settle(started, map);
    for (const s of bufs) {
      const bytes = s.buf.getMappedRange(0, Math.ceil(s.spec.bytes / 16) * 16).slice(0, s.spec.bytes);
      out.set(s.spec.name, s.spec.dtype === 'i32' ? new Int32Array(bytes) : new Float32Array(bytes));
      s.buf.unmap();
    }
    clock?.add('readback', performance.now() - mapped);
    return out;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    for (const s of this.staging.values()) s.buf.destroy();
    this.rngBuf?.destroy();
  }
}
