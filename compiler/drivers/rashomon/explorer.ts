// Runs sampled models of a Rashomon exploration: the noised graph (compiler/rashomon/pass.ts)
// planned once for a fixed number of rows and run on WebGPU, or on the reference interpreter in
// float32 (the tests' oracle). A row is one (model, sample) pair: the jobs' pairs are laid out
// model after model, R rows per run, so one submit evaluates R/N models of an N-sample split at
// once (or part of one model when N > R); each row carries its model's keys and rate, so the
// grouping never changes the noise. Every model's logits are handed on as soon as its N rows
// are done.
import { bindDims } from '../../analysis/summary.js';
import { run } from '../../interp/interpreter.js';
import type { Graph } from '../../ir/types.js';
import { planGraph } from '../../kernels/plan.js';
import { targetOf } from '../../kernels/target.js';
import { intTensor, tensor, type Tensor } from '../../reference/tensor.js';
import { KEYS_INPUT, RATES_INPUT, type NoisedGraph } from '../../rashomon/pass.js';
import type { NoiseKind } from '../../ops/internal/inference_dropout.js';
import type { Acquired } from '../../../runtime/device.js';
import type { Executor } from '../../../runtime/executor.js';

export type ExploreBackend = 'webgpu' | 'reference';

/** The split explored: normalised images [count, …sampleShape] and labels. */
export interface ExploreData {
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly sampleShape: readonly number[];
  readonly classes: number;
}

/** One model to evaluate: its index (the noise key) and rate (0: the model itself). */
export interface ModelJob {
  readonly model: number;
  readonly rate: number;
}

export interface ExplorerOptions {
  readonly noised: NoisedGraph;
  readonly kind: NoiseKind;
  readonly params: ReadonlyMap<string, Float32Array>;
  readonly data: ExploreData;
  readonly seed: number;
  /** Rows (model × sample pairs) per run. */
  readonly rows: number;
  readonly backend: ExploreBackend;
  /** A device to use (tests share one); otherwise the WebGPU backend acquires its own. */
  readonly device?: Acquired;
}

interface Runner {
  readonly description: string;
  run(inputs: Record<string, Float32Array | Int32Array>): Promise<Float32Array>;
  setParams(p: ReadonlyMap<string, Float32Array>): void;
  dispose(): void;
}

export class Explorer {
  /** Runs submitted so far. */
  runs = 0;
  private constructor(
    private readonly opts: ExplorerOptions,
    private readonly runner: Runner,
  ) {}

  static async create(opts: ExplorerOptions): Promise<Explorer> {
    const g = opts.noised.graph;
    return new Explorer(opts, opts.backend === 'reference' ? referenceRunner(g, opts) : await webGpuRunner(g, opts));
  }

  get description(): string {
    return this.runner.description;
  }

  get rows(): number {
    return this.opts.rows;
  }

  /** New weights (another trained model) for the same graph. */
  setParams(p: ReadonlyMap<string, Float32Array>): void {
    this.runner.setParams(p);
  }

  /** Evaluates the jobs over every sample; `done` gets each job's logits [count, classes] in job order. */
  async evaluate(
    jobs: readonly ModelJob[],
    done: (job: ModelJob, index: number, logits: Float32Array) => void | Promise<void>,
  ): Promise<void> {
    const { data, rows, seed } = this.opts;
    const N = data.count;
    const C = data.classes;
    const per = data.sampleShape.reduce((a, d) => a * d, 1);
    const x = new Float32Array(rows * per);
    const keys = new Int32Array(rows * 3);
    const rates = new Float32Array(rows * 2);
    const pending = new Map<number, { logits: Float32Array; left: number }>();
    const total = jobs.length * N;
    for (let start = 0; start < total; start += rows) {
      const used = Math.min(rows, total - start);
      for (let r = 0; r < rows; r++) {
        // Rows past the end repeat the last pair; their outputs are ignored.
        const q = start + Math.min(r, used - 1);
        const job = jobs[Math.floor(q / N)]!;
        const s = q % N;
        x.set(data.x.subarray(s * per, (s + 1) * per), r * per);
        keys[3 * r] = seed | 0;
        keys[3 * r + 1] = job.model | 0;
        keys[3 * r + 2] = s;
        const rate = Math.fround(job.rate);
        rates[2 * r] = rate;
        rates[2 * r + 1] = this.opts.kind === 'bernoulli' ? Math.fround(1 / (1 - rate)) : 1;
      }
      const out = await this.runner.run({ [this.opts.noised.input]: x, [KEYS_INPUT]: keys, [RATES_INPUT]: rates });
      this.runs++;
      for (let r = 0; r < used; r++) {
        const q = start + r;
        const j = Math.floor(q / N);
        let p = pending.get(j);
        if (!p) pending.set(j, (p = { logits: new Float32Array(N * C), left: N }));
        p.logits.set(out.subarray(r * C, (r + 1) * C), (q % N) * C);
        if (--p.left === 0) {
          pending.delete(j);
          await done(jobs[j]!, j, p.logits);
        }
      }
    }
  }

  dispose(): void {
    this.runner.dispose();
  }
}

function outputName(g: Graph): string {
  if (g.outputs.length !== 1) throw new Error(`explorer: ${g.name} has ${g.outputs.length} outputs`);
  return g.outputs[0]!.name;
}

async function webGpuRunner(g: Graph, opts: ExplorerOptions): Promise<Runner> {
  const { acquireDevice, formatReport } = await import('../../../runtime/device.js');
  const { Executor } = await import('../../../runtime/executor.js');
  const acq = opts.device ?? (await acquireDevice());
  const own = opts.device === undefined;
  let ex: Executor;
  try {
    const plan = planGraph(g, { target: targetOf(acq.report), dims: bindDims(g, opts.rows) });
    ex = await Executor.create(acq.device, plan, { params: opts.params, label: `${g.name}:rashomon` });
  } catch (e) {
    if (own) acq.device.destroy();
    throw e;
  }
  const out = outputName(g);
  return {
    description: `WebGPU on ${formatReport(acq.report).replace(/^WebGPU adapter: /, '')}; ${ex.plan.dispatches.length} kernels per run of ${opts.rows} rows`,
    run: async (inputs) => (await ex.run({ inputs, read: [out] })).get(out) as Float32Array,
    setParams: (p) => {
      for (const [k, v] of p) ex.setParam(k, v);
    },
    dispose: () => {
      ex.destroy();
      if (own) acq.device.destroy();
    },
  };
}

function referenceRunner(g: Graph, opts: ExplorerOptions): Runner {
  const params = new Map<string, Tensor>();
  const set = (p: ReadonlyMap<string, Float32Array>) => {
    for (const q of g.params) {
      const v = p.get(q.name);
      if (v) params.set(q.name, tensor(q.shape, v, 'f32'));
    }
  };
  set(opts.params);
  const out = outputName(g);
  const shapes = new Map(
    g.inputs.map((v) => {
      const d = g.values[v]!.def;
      const name = d.kind === 'input' ? d.name : String(v);
      const dims = bindDims(g, opts.rows);
      return [
        name,
        {
          shape: g.values[v]!.type.shape.map((x) => (typeof x === 'number' ? x : dims[x]!)),
          i32: g.values[v]!.type.dtype === 'i32',
        },
      ];
    }),
  );
  return {
    description: 'the reference interpreter (CPU, float32)',
    run: (inputs) => {
      const ins: Record<string, Tensor> = {};
      for (const [name, s] of shapes) {
        const v = inputs[name]!;
        ins[name] = s.i32 ? intTensor(s.shape, v as Int32Array) : tensor(s.shape, v, 'f32');
      }
      const r = run(g, { inputs: ins, params, precision: 'f32' });
      return Promise.resolve(Float32Array.from(r.outputs.get(out)!.data));
    },
    setParams: set,
    dispose: () => {},
  };
}
