// The environment-free part of a compiled model: a bundle's two plans on a device, with the
// typed API to train and run them (trainStep, forward, state). It reads no files and finds no
// device itself: runtime/model.ts adds Node's (a folder on disk, Dawn, safetensors files),
// runtime/browser/model.ts the browser's (a URL, `navigator.gpu`). Both therefore run the very
// same training step.
//
// The training plan holds the parameters and optimizer state in GPU buffers and updates them in
// place; the forward plan has its own copy of the parameters, refreshed from the training plan
// only when an inference follows training steps.
import type { ModelBundle, ModelInfo } from './plan/bundle.js';
import { formatReport, type Acquired } from './adapter.js';
import type { NamedTensor } from './checkpoint/safetensors.js';
import type { TensorSpec } from './checkpoint/validate.js';
import { Executor } from './executor.js';

export interface TrainStepOptions {
  /** Read the loss back (a GPU round trip); otherwise the step returns undefined. */
  readonly readLoss?: boolean;
}

/** A compiled folder that cannot be loaded: missing files, a damaged plan, the wrong adapter. */
export class ModelLoadError extends Error {}

/** The executors of a bundle's plans on a device, every pipeline created (and warmed up). */
export interface ModelParts {
  readonly info: ModelInfo;
  readonly acq: Acquired;
  /** `dispose` destroys the device too. */
  readonly ownsDevice: boolean;
  readonly trainEx: Executor;
  readonly evalEx: Executor;
}

/**
 * Checks the adapter against the plans, then creates both executors (concurrently). `sleep`:
 * the executors' timer before awaiting the GPU (runtime/executor.ts; for Node, not browsers).
 */
export async function createParts(
  bundle: ModelBundle,
  acq: Acquired,
  seed: number,
  ownsDevice: boolean,
  sleep = true,
): Promise<ModelParts> {
  checkLimits(bundle, acq);
  const [trainEx, evalEx] = await Promise.all([
    Executor.create(acq.device, bundle.train, { seed, label: 'train', sleep }),
    Executor.create(acq.device, bundle.forward, { seed, label: 'eval', sleep }),
  ]);
  return { info: bundle.info, acq, ownsDevice, trainEx, evalEx };
}

export class ModelCore<Name extends string = string> {
  readonly info: ModelInfo;
  protected readonly acq: Acquired;
  protected readonly trainEx: Executor;
  protected readonly evalEx: Executor;
  private readonly ownsDevice: boolean;
  private dirty = false;

  protected constructor(parts: ModelParts) {
    this.info = parts.info;
    this.acq = parts.acq;
    this.ownsDevice = parts.ownsDevice;
    this.trainEx = parts.trainEx;
    this.evalEx = parts.evalEx;
  }

  /** The adapter in one line (a subclass may say more than the report does). */
  protected adapterLine(): string {
    return formatReport(this.acq.report);
  }

  /** One line for logs: the adapter and the size of a training step. */
  get description(): string {
    return `${this.adapterLine().replace(/^WebGPU adapter: /, 'WebGPU on ')}; a training step is ${this.trainEx.plan.dispatches.length} kernels in one submit`;
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
  async trainStep(
    x: Float32Array,
    y: Int32Array,
    lr: number,
    step: number,
    opts: TrainStepOptions = {},
  ): Promise<number | undefined> {
    const { batch, input } = this.info;
    if (y.length !== batch)
      throw new RangeError(`the training plan is compiled for batches of ${batch}, got ${y.length} labels`);
    const readLoss = opts.readLoss ?? true;
    const out = await this.trainEx.run({
      inputs: { [input]: x, labels: y, lr: Float32Array.of(lr) },
      read: readLoss ? ['loss'] : [],
      step,
    });
    this.dirty = true;
    return readLoss ? out.get('loss')![0]! : undefined;
  }

  /**
   * A training step that reads back the named outputs of the training plan, for example the
   * loss and the model's own output (the logits of the forward pass inside the step, before
   * the update): what a caller needs to score each sample without a second forward pass.
   * `extra`: values of the plan's further inputs, by name.
   */
  async trainStepReading(
    x: Float32Array,
    y: Int32Array,
    lr: number,
    step: number,
    read: readonly string[],
    extra: Readonly<Record<string, Float32Array>> = {},
  ): Promise<Map<string, Float32Array>> {
    const { batch, input } = this.info;
    if (y.length !== batch)
      throw new RangeError(`the training plan is compiled for batches of ${batch}, got ${y.length} labels`);
    const out = await this.trainEx.run({
      inputs: { ...extra, [input]: x, labels: y, lr: Float32Array.of(lr) },
      read,
      step,
    });
    this.dirty = true;
    return new Map([...out].map(([k, v]) => [k, v as Float32Array]));
  }

  /** Some tensors of the training state by name (a read back of only those). */
  readTensors(names: readonly string[]): Promise<Map<string, Float32Array>> {
    return this.trainEx.readParams(names);
  }

  /**
   * Inference-mode logits [size, classes] for `size` samples (at most a batch). The plan has a
   * fixed batch: a short batch is padded with zeros and the extra rows dropped. `extra`: values
   * of the forward plan's further inputs, by name (an anytime network's gates).
   */
  async forward(
    x: Float32Array,
    size = x.length / this.sampleSize,
    extra: Readonly<Record<string, Float32Array>> = {},
  ): Promise<Float32Array> {
    const { batch, classes, input } = this.info;
    if (!Number.isInteger(size) || size < 1 || size > batch)
      throw new RangeError(`forward takes 1 to ${batch} samples, got ${size}`);
    if (this.dirty) {
      // the training plan's parameters into the inference plan's, on the device
      const names = this.evalEx.plan.params.map((p) => p.param.name);
      this.trainEx.copyParamsTo(
        this.evalEx,
        names.map((n) => [n, n]),
      );
      this.dirty = false;
    }
    let data = x;
    if (size < batch) {
      data = new Float32Array(batch * this.sampleSize);
      data.set(x.subarray(0, size * this.sampleSize));
    }
    const out = await this.evalEx.run({ inputs: { ...extra, [input]: data } });
    const logits = out.values().next().value as Float32Array;
    return logits.subarray(0, size * classes);
  }

  /** Parameters, buffers and optimizer state, by name. */
  async state(): Promise<Map<Name, NamedTensor>> {
    const params = this.trainEx.plan.params.map((p) => p.param);
    const values = await this.trainEx.readParams(params.map((p) => p.name));
    return new Map(params.map((p) => [p.name as Name, { shape: p.shape, data: values.get(p.name)! }]));
  }

  /** The tensors of the training state: name → shape and dtype (what a checkpoint must match). */
  layout(): Map<string, TensorSpec> {
    return new Map(
      this.trainEx.plan.params.map(({ param: p }) => [
        p.name,
        { shape: p.shape, dtype: p.dtype === 'i32' ? 'I32' : 'F32' },
      ]),
    );
  }

  /** Sets tensors of the training state by name; names the model does not have are ignored. */
  setState(state: ReadonlyMap<string, NamedTensor>): void {
    const params = new Map(this.trainEx.plan.params.map((p) => [p.param.name, p.param]));
    for (const [k, t] of state) {
      const p = params.get(k);
      if (!p) continue;
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
        throw new RangeError(`${k}: shape [${t.shape.join(', ')}], the model's is [${p.shape.join(', ')}]`);
      this.trainEx.setParam(k, t.data);
    }
    this.dirty = true;
  }

  /**
   * Copies tensors of the training state into parameters of another plan on this model's device
   * (pairs of (name here, name there)), on the device.
   */
  copyStateTo(target: Executor, pairs: readonly (readonly [string, string])[]): void {
    this.trainEx.copyParamsTo(target, pairs);
  }

  /** Sets tensors of the training state from parameters of another plan on this device (pairs of (name there, name here)). */
  copyStateFrom(source: Executor, pairs: readonly (readonly [string, string])[]): void {
    source.copyParamsTo(this.trainEx, pairs);
    this.dirty = true;
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
        throw new ModelLoadError(
          `${b.info.model} was compiled for an adapter with ${k} ${need}, this one has ${have}; compile it again here (mdl compile)`,
        );
    }
}
