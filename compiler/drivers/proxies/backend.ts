// Where the data-dependent proxies run a graph: compiled to WebGPU kernels (the default), or
// on the reference interpreter in float64 (`--backend reference`, and the tests' oracle).
// A program is one graph with fixed parameters and batch; a run reads back the graph's outputs
// and any values asked for at compile time (ReLU inputs for NASWOT). The interfaces are the
// proxies' own (compiler/space/data-proxies/program.ts), so a proxy's custom run is written
// against them below this layer.
import { bindDims } from '../../analysis/summary.js';
import { run } from '../../interp/interpreter.js';
import { tensor, intTensor, type Tensor } from '../../reference/tensor.js';
import type { ValueId } from '../../ir/types.js';
import { planGraph } from '../../kernels/plan.js';
import { targetOf } from '../../kernels/target.js';
import { acquireDevice, formatReport, type Acquired, type Route } from '../../../runtime/device.js';
import { Executor, type HostArray } from '../../../runtime/executor.js';
import type { StageClock } from '../../../runtime/stages.js';
import type { Program, ProgramSpec, ProxyBackend } from '../../space/data-proxies/program.js';

export type { Program, ProgramSpec, ProxyBackend };

export interface WebGpuBackendOptions {
  /** How to reach the GPU (default: the process's route, runtime/device.ts). */
  readonly route?: Route;
  /** Share pipelines across programs through the device's cache (default true). */
  readonly cache?: boolean;
}

export class WebGpuProxyBackend implements ProxyBackend {
  readonly name = 'webgpu';
  /** Where the programs compiled from now on time their stages (`mdl score --profile`). */
  clock: StageClock | undefined;
  private constructor(
    readonly acq: Acquired,
    readonly description: string,
    private readonly cache: boolean,
  ) {}

  static async create(opts: WebGpuBackendOptions = {}): Promise<WebGpuProxyBackend> {
    const acq = await acquireDevice(opts.route ? { route: opts.route } : {});
    return new WebGpuProxyBackend(acq, formatReport(acq.report), opts.cache ?? true);
  }

  async compile(spec: ProgramSpec): Promise<Program> {
    const { graph: g } = spec;
    const clock = this.clock;
    const plan = planGraph(g, {
      target: targetOf(this.acq.report),
      dims: bindDims(g, spec.batch),
      training: spec.training,
      keep: spec.keep ?? [],
    });
    const t0 = performance.now();
    const params = new Map<string, Float32Array>();
    for (const [k, v] of spec.params) params.set(k, Float32Array.from(v));
    clock?.add('upload', performance.now() - t0);
    // No warm-up: a program runs once or twice, and the first run compiles what it needs anyway.
    const ex = await Executor.create(this.acq.device, plan, {
      params,
      warmUp: false,
      label: g.name,
      cache: this.cache,
      ...(clock ? { clock } : {}),
    });
    const keptNames = new Map<ValueId, string>();
    for (const v of spec.keep ?? []) keptNames.set(v, plan.readable.get(v)!.name);
    const outNames = g.outputs.map((o) => o.name);
    return {
      async run(inputs) {
        const t1 = performance.now();
        const f32: Record<string, HostArray> = {};
        for (const [k, v] of Object.entries(inputs)) f32[k] = v instanceof Float64Array ? Float32Array.from(v) : v;
        clock?.add('upload', performance.now() - t1);
        const got = await ex.run({ inputs: f32, read: [...new Set([...outNames, ...keptNames.values()])] });
        const outputs = new Map<string, ArrayLike<number>>(outNames.map((n) => [n, got.get(n)!]));
        const kept = new Map<ValueId, ArrayLike<number>>([...keptNames].map(([v, n]) => [v, got.get(n)!]));
        return { outputs, kept };
      },
      setParams(ps) {
        // The executor times its own writes; the rounding to float32 is timed here.
        const t1 = performance.now();
        const f32 = [...ps].map(([k, v]) => [k, Float32Array.from(v)] as const);
        clock?.add('upload', performance.now() - t1);
        for (const [k, v] of f32) ex.setParam(k, v);
      },
      dispose: () => ex.destroy(),
    };
  }

  dispose(): void {
    this.acq.device.destroy();
  }
}

export class ReferenceProxyBackend implements ProxyBackend {
  readonly name = 'reference';
  readonly description: string;
  /** Times the interpreter's runs as `execute`; it has no pipelines, uploads or readbacks. */
  clock: StageClock | undefined;
  /** Float32 storage only shows what an unscaled float32 run would do (tests); the backend is float64. */
  constructor(private readonly precision: 'f64' | 'f32' = 'f64') {
    this.description = `the reference interpreter in ${precision === 'f64' ? 'float64' : 'float32'} (CPU)`;
  }

  async compile(spec: ProgramSpec): Promise<Program> {
    const g = spec.graph;
    const precision = this.precision;
    const clock = this.clock;
    const params = new Map<string, Tensor>();
    for (const p of g.params) params.set(p.name, tensor(p.shape, spec.params.get(p.name)!, 'f64'));
    const dims = bindDims(g, spec.batch);
    const shapeOf = (v: ValueId) => g.values[v]!.type.shape.map((d) => (typeof d === 'number' ? d : dims[d]!));
    return {
      async run(inputs) {
        const ins: Record<string, Tensor> = {};
        for (const v of g.inputs) {
          const d = g.values[v]!.def;
          const name = d.kind === 'input' ? d.name : String(v);
          const x = inputs[name]!;
          ins[name] = x instanceof Int32Array ? intTensor(shapeOf(v), x) : tensor(shapeOf(v), x, 'f64');
        }
        const keep = (spec.keep ?? []).length > 0;
        const t0 = performance.now();
        const r = run(g, { inputs: ins, params, precision, training: spec.training, keepAll: keep });
        clock?.add('execute', performance.now() - t0);
        const outputs = new Map<string, ArrayLike<number>>([...r.outputs].map(([k, t]) => [k, t.data]));
        const kept = new Map<ValueId, ArrayLike<number>>((spec.keep ?? []).map((v) => [v, r.values![v]!.data]));
        return { outputs, kept };
      },
      setParams(ps) {
        for (const [k, v] of ps) params.set(k, tensor(params.get(k)!.shape, v, 'f64'));
      },
      dispose() {},
    };
  }

  dispose(): void {}
}

export async function proxyBackend(
  name: 'webgpu' | 'reference',
  opts: WebGpuBackendOptions = {},
): Promise<WebGpuProxyBackend | ReferenceProxyBackend> {
  return name === 'reference' ? new ReferenceProxyBackend() : WebGpuProxyBackend.create(opts);
}
