// A compiled classifier on WebGPU, as one typed object: load it (from the folder `mdl compile`
// wrote, or from plans made in memory), run inference, run training steps, save and load its
// weights. `mdl train`'s WebGPU backend is a thin layer over this class, so the executable
// `mdl compile` writes and `mdl train` run the very same code.
//
// The training plan holds the parameters and optimizer state in GPU buffers and updates them in
// place; the forward plan has its own copy of the parameters, refreshed from the training plan
// only when an inference follows training steps.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, join } from 'node:path';
import { loadBundle, type ModelBundle, type ModelInfo } from '../compiler/emit/bundle.js';
import { PlanFormatError } from '../compiler/emit/plan-json.js';
import { readCheckpoint, writeCheckpoint, type NamedTensor } from './checkpoint/safetensors.js';
import { acquireDevice, formatReport, type Acquired } from './device.js';
import { Executor } from './executor.js';

export interface LoadOptions {
  /** Seed of the parameters' initialisation and of the random streams (dropout). Default 0. */
  readonly seed?: number;
  /** A device to run on; by default one is acquired (and destroyed by `dispose`). */
  readonly device?: Acquired;
  /** `dispose` destroys the given `device` too (it was acquired for this model alone). */
  readonly ownsDevice?: boolean;
  /** Initial weights: a safetensors file (as `saveWeights` writes, or a training checkpoint). */
  readonly weights?: string;
}

export interface TrainStepOptions {
  /** Read the loss back (a GPU round trip); otherwise the step returns undefined. */
  readonly readLoss?: boolean;
}

/** A compiled folder that cannot be loaded: missing files, a damaged plan, the wrong adapter. */
export class ModelLoadError extends Error {}

export class CompiledModel<Name extends string = string> {
  private dirty = false;

  private constructor(
    readonly info: ModelInfo,
    private readonly acq: Acquired,
    private readonly ownsDevice: boolean,
    private readonly trainEx: Executor,
    private readonly evalEx: Executor,
  ) {}

  /**
   * Loads the folder `mdl compile` wrote (a path or a file: URL): plan.json and its kernels.
   * Every pipeline is created (and compiled by the driver) before this returns.
   */
  static async load<N extends string = string>(dir: string | URL, opts: LoadOptions = {}): Promise<CompiledModel<N>> {
    const root = typeof dir === 'string' ? dir : fileURLToPath(dir);
    const read = (file: string): string => {
      // Kernel files are named relative to the folder and stay inside it.
      if (isAbsolute(file) || file.split(/[\\/]/).includes('..')) throw new ModelLoadError(`${join(root, 'plan.json')}: kernel file ${file} is outside ${root}`);
      try {
        return readFileSync(join(root, file), 'utf8');
      } catch {
        throw new ModelLoadError(`${join(root, file)}: cannot read it; is ${root} a folder written by \`mdl compile\`?`);
      }
    };
    let json: unknown;
    try {
      json = JSON.parse(read('plan.json'));
    } catch (e) {
      if (e instanceof ModelLoadError) throw e;
      throw new ModelLoadError(`${join(root, 'plan.json')}: not valid JSON`);
    }
    let bundle: ModelBundle;
    try {
      bundle = loadBundle(json, read);
    } catch (e) {
      if (e instanceof PlanFormatError) throw new ModelLoadError(`${join(root, 'plan.json')}: ${e.message}`);
      throw e;
    }
    return CompiledModel.create<N>(bundle, opts);
  }

  /** A model from plans in memory (what `mdl train` does), or loaded by `load`. */
  static async create<N extends string = string>(bundle: ModelBundle, opts: LoadOptions = {}): Promise<CompiledModel<N>> {
    const acq = opts.device ?? (await acquireDevice());
    try {
      checkLimits(bundle, acq);
      const seed = opts.seed ?? 0;
      const [trainEx, evalEx] = await Promise.all([
        Executor.create(acq.device, bundle.train, { seed, label: 'train' }),
        Executor.create(acq.device, bundle.forward, { seed, label: 'eval' }),
      ]);
      const m = new CompiledModel<N>(bundle.info, acq, !opts.device || opts.ownsDevice === true, trainEx, evalEx);
      if (opts.weights) await m.loadWeights(opts.weights);
      return m;
    } catch (e) {
      if (!opts.device || opts.ownsDevice) acq.device.destroy();
      throw e;
    }
  }

  /** One line for logs: the adapter and the size of a training step. */
  get description(): string {
    return `${formatReport(this.acq.report).replace(/^WebGPU adapter: /, 'WebGPU on ')}; a training step is ${this.trainEx.plan.dispatches.length} kernels in one submit`;
  }

  /** Values per sample of the input. */
  get sampleSize(): number {
    return this.info.sampleShape.reduce((a, d) => a * d, 1);
  }

  /**
   * One training step (forward, loss, backward, optimizer update) on a full batch: `x` holds
   * batch × sampleSize values, `y` the batch's class indices. `step` is the global step index
   * (Adam's bias correction, dropout's random stream).
   */
  async trainStep(x: Float32Array, y: Int32Array, lr: number, step: number, opts: TrainStepOptions = {}): Promise<number | undefined> {
    const { batch, input } = this.info;
    if (y.length !== batch) throw new RangeError(`the training plan is compiled for batches of ${batch}, got ${y.length} labels`);
    const readLoss = opts.readLoss ?? true;
    const out = await this.trainEx.run({ inputs: { [input]: x, labels: y, lr: Float32Array.of(lr) }, read: readLoss ? ['loss'] : [], step });
    this.dirty = true;
    return readLoss ? out.get('loss')![0]! : undefined;
  }

  /**
   * Inference-mode logits [size, classes] for `size` samples (at most a batch). The plan has a
   * fixed batch: a short batch is padded with zeros and the extra rows dropped.
   */
  async forward(x: Float32Array, size = x.length / this.sampleSize): Promise<Float32Array> {
    const { batch, classes, input } = this.info;
    if (!Number.isInteger(size) || size < 1 || size > batch) throw new RangeError(`forward takes 1 to ${batch} samples, got ${size}`);
    if (this.dirty) {
      const names = this.evalEx.plan.params.map((p) => p.param.name);
      for (const [k, v] of await this.trainEx.readParams(names)) this.evalEx.setParam(k, v);
      this.dirty = false;
    }
    let data = x;
    if (size < batch) {
      data = new Float32Array(batch * this.sampleSize);
      data.set(x.subarray(0, size * this.sampleSize));
    }
    const out = await this.evalEx.run({ inputs: { [input]: data } });
    const logits = out.values().next().value as Float32Array;
    return logits.subarray(0, size * classes);
  }

  /** Parameters, buffers and optimizer state, by name. */
  async state(): Promise<Map<Name, NamedTensor>> {
    const params = this.trainEx.plan.params.map((p) => p.param);
    const values = await this.trainEx.readParams(params.map((p) => p.name));
    return new Map(params.map((p) => [p.name as Name, { shape: p.shape, data: values.get(p.name)! }]));
  }

  /** Sets tensors of the training state by name; names the model does not have are ignored. */
  setState(state: ReadonlyMap<string, NamedTensor>): void {
    const params = new Map(this.trainEx.plan.params.map((p) => [p.param.name, p.param]));
    for (const [k, t] of state) {
      const p = params.get(k);
      if (!p) continue;
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) throw new RangeError(`${k}: shape [${t.shape.join(', ')}], the model's is [${p.shape.join(', ')}]`);
      this.trainEx.setParam(k, t.data);
    }
    this.dirty = true;
  }

  /** Writes the whole training state as a safetensors file, atomically (written beside, then renamed). */
  async saveWeights(path: string, metadata: Readonly<Record<string, string>> = {}): Promise<void> {
    writeCheckpoint(path, { tensors: await this.state(), metadata: { model: this.info.model, ...metadata } });
  }

  /** Loads weights from a safetensors file (one `saveWeights` or `mdl train` wrote). */
  async loadWeights(path: string): Promise<void> {
    this.setState(readCheckpoint(path).tensors);
  }

  dispose(): void {
    this.trainEx.destroy();
    this.evalEx.destroy();
    if (this.ownsDevice) this.acq.device.destroy();
  }
}

/** The adapter must offer at least the limits the plans were compiled against. */
function checkLimits(b: ModelBundle, acq: Acquired): void {
  for (const plan of [b.train, b.forward])
    for (const [k, need] of Object.entries(plan.target.limits)) {
      const have = acq.report.limits[k];
      if (typeof have === 'number' && Number.isFinite(have) && have < need)
        throw new ModelLoadError(`${b.info.model} was compiled for an adapter with ${k} ${need}, this one has ${have}; compile it again here (mdl compile)`);
    }
}
