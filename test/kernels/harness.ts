// Runs a graph both ways — compiled to kernels on the WebGPU adapter the runtime finds, and on
// the reference interpreter in float32 — with the same inputs and parameters, and compares.
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { relError, type Tensor } from '../../compiler/reference/tensor.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph, type Plan, type PlanOptions } from '../../compiler/kernels/plan.js';
import { targetOf, type Target } from '../../compiler/kernels/target.js';
import { acquireDevice, type Acquired } from '../../runtime/device.js';
import { Executor, type HostArray } from '../../runtime/executor.js';

let acquired: Promise<Acquired> | undefined;
/** One device per test file (vitest runs files in separate workers). */
export function device(): Promise<Acquired> {
  acquired ??= acquireDevice();
  return acquired;
}

export async function target(): Promise<Target> {
  return targetOf((await device()).report);
}

/** A small deterministic generator (tests must not depend on Math.random). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export interface BothOptions extends Omit<PlanOptions, 'target' | 'dims'> {
  readonly dims?: Readonly<Record<string, number>>;
  readonly target?: Target;
  readonly seed?: number;
  readonly step?: number;
  /** Random parameters and buffers instead of the initialisers (batchnorm statistics, affine). */
  readonly randomParams?: boolean;
  /** Class count for i32 inputs (labels): values in [0, classes). */
  readonly classes?: number;
  /** Values for some inputs (the rest are random). */
  readonly given?: Readonly<Record<string, HostArray>>;
  /**
   * The smallest scale errors are measured against (default 1e-12): an output that cancels to
   * rounding noise (a + (−a − 2.5) + 2.5) is compared at the scale of the inputs instead.
   */
  readonly errFloor?: number;
}

export interface Both {
  readonly plan: Plan;
  readonly gpu: Map<string, HostArray>;
  readonly ref: Map<string, Tensor>;
  /** Updated buffers (batchnorm running statistics) from both, by name. */
  readonly gpuBuffers: Map<string, Float32Array>;
  readonly refBuffers: Map<string, Tensor>;
  /** The largest norm-wise relative error over the outputs. */
  readonly err: number;
  readonly executor: Executor;
  /** The parameters both ran with (before any in-place update). */
  readonly params: ReadonlyMap<string, Tensor>;
}

export async function runBoth(g: Graph, opts: BothOptions = {}): Promise<Both> {
  const acq = await device();
  const dims: Record<string, number> = { ...(opts.dims ?? {}) };
  for (const s of g.symbols) dims[s] ??= 2;
  const plan = planGraph(g, { ...opts, target: opts.target ?? targetOf(acq.report), dims });
  const r = rng(opts.seed ?? 7);
  const params = initParams(g, opts.seed ?? 0, 'f32');
  if (opts.randomParams)
    for (const p of g.params) {
      const t = params.get(p.name)!;
      const positive = p.name.endsWith('running_var');
      for (let i = 0; i < t.data.length; i++) t.data[i] = positive ? 0.5 + r() : 2 * r() - 1;
    }
  const inputs: Record<string, HostArray> = {};
  const refInputs: Record<string, Tensor> = {};
  for (const i of plan.inputs) {
    const n = i.shape.reduce((a, d) => a * d, 1);
    const data =
      opts.given?.[i.name] ??
      (i.dtype === 'i32'
        ? Int32Array.from({ length: n }, () => Math.floor(r() * (opts.classes ?? 2)))
        : Float32Array.from({ length: n }, () => 2 * r() - 1));
    inputs[i.name] = data;
    refInputs[i.name] = { shape: i.shape, data };
  }
  const executor = await Executor.create(acq.device, plan, {
    seed: opts.seed ?? 0,
    params: new Map([...params].map(([k, t]) => [k, (t.data as Float32Array).slice()])),
  });
  const gpu = await executor.run({ inputs, step: opts.step ?? 0 });
  const res = run(g, {
    inputs: refInputs,
    params,
    precision: 'f32',
    training: opts.training ?? false,
    seed: opts.seed ?? 0,
    step: opts.step ?? 0,
  });
  let err = 0;
  for (const o of plan.outputs)
    err = Math.max(err, relError(gpu.get(o.name)!, res.outputs.get(o.name)!.data, opts.errFloor));
  const names = [...res.buffers.keys()];
  const gpuBuffers = names.length ? await executor.readParams(names) : new Map<string, Float32Array>();
  return { plan, gpu, ref: res.outputs, gpuBuffers, refBuffers: res.buffers, err, executor, params };
}

/** Kernel count and WGSL-free summary of a plan, for messages. */
export function describe(plan: Plan): string {
  return plan.dispatches.map((d) => `${d.name} [${d.nodes.join(', ')}]`).join('\n');
}

/**
 * Norm-wise relative error of each output of a training step, max|a − b| / max(max|a|, max|b|);
 * an updated parameter (or state) is compared by its change, what the step computed, since
 * parameter ≫ update. With `floor` ε > 0 the denominator is at least ε times the largest
 * magnitude among the outputs of the same kind (`grad:`, `param:`, `state:`): a gradient that is
 * zero in exact arithmetic (a bias before train-mode batchnorm, through a conv into one) is
 * rounding noise on both sides, measured against the network's gradients instead of itself.
 */
export function stepErrors(r: Both, updates: ReadonlyMap<string, string>, floor = 0): Map<string, number> {
  const pairs = new Map<string, { got: ArrayLike<number>; want: ArrayLike<number>; diff: number; scale: number }>();
  const kindMax = new Map<string, number>();
  const kind = (name: string) => name.split(':')[0]!;
  for (const o of r.plan.outputs) {
    let want: ArrayLike<number> = r.ref.get(o.name)!.data;
    let got: ArrayLike<number> = r.gpu.get(o.name)!;
    const p = [...updates].find(([, out]) => out === o.name)?.[0];
    const before = p ? r.params.get(p)!.data : undefined;
    if (before) {
      want = Float64Array.from(want, (x, i) => x - before[i]!);
      got = Float64Array.from(got, (x, i) => x - before[i]!);
    }
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < want.length; i++) {
      diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      scale = Math.max(scale, Math.abs(got[i]!), Math.abs(want[i]!));
    }
    if (got.length !== want.length) throw new Error(`${o.name}: ${got.length} values, expected ${want.length}`);
    pairs.set(o.name, { got, want, diff, scale });
    kindMax.set(kind(o.name), Math.max(kindMax.get(kind(o.name)) ?? 0, scale));
  }
  const errs = new Map<string, number>();
  for (const [name, x] of pairs) errs.set(name, x.diff / Math.max(x.scale, floor * kindMax.get(kind(name))!, 1e-12));
  return errs;
}
