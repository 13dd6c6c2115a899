// A compiled classifier on WebGPU, as one typed object: load it (from the folder `mdl compile`
// wrote, or from plans made in memory), run inference, run training steps, save and load its
// weights. `mdl train`'s WebGPU backend is a thin layer over this class, so the executable
// `mdl compile` writes and `mdl train` run the very same code. Training and inference live in
// ./model-core.ts (shared with the browser build); this file adds what needs Node: reading the
// folder from disk, acquiring a device through Dawn, and safetensors weight files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, join } from 'node:path';
import { loadBundle, type ModelBundle } from './plan/bundle.js';
import { PlanFormatError } from './plan/plan-json.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint/safetensors.js';
import { checkFits } from './checkpoint/validate.js';
import { acquireDevice, type Acquired } from './device.js';
import { createParts, ModelCore, ModelLoadError, type ModelParts } from './model-core.js';

export { ModelLoadError, type TrainStepOptions } from './model-core.js';

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

export class CompiledModel<Name extends string = string> extends ModelCore<Name> {
  private constructor(parts: ModelParts) {
    super(parts);
  }

  /**
   * Loads the folder `mdl compile` wrote (a path or a file: URL): plan.json and its kernels.
   * Every pipeline is created (and compiled by the driver) before this returns.
   */
  static async load<N extends string = string>(dir: string | URL, opts: LoadOptions = {}): Promise<CompiledModel<N>> {
    const root = typeof dir === 'string' ? dir : fileURLToPath(dir);
    const read = (file: string): string => {
      // Kernel files are named relative to the folder and stay inside it.
      if (isAbsolute(file) || file.split(/[\\/]/).includes('..'))
        throw new ModelLoadError(`${join(root, 'plan.json')}: kernel file ${file} is outside ${root}`);
      try {
        return readFileSync(join(root, file), 'utf8');
      } catch {
        throw new ModelLoadError(
          `${join(root, file)}: cannot read it; is ${root} a folder written by \`mdl compile\`?`,
        );
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
  static async create<N extends string = string>(
    bundle: ModelBundle,
    opts: LoadOptions = {},
  ): Promise<CompiledModel<N>> {
    const acq = opts.device ?? (await acquireDevice());
    const owns = !opts.device || opts.ownsDevice === true;
    try {
      const m = new CompiledModel<N>(await createParts(bundle, acq, opts.seed ?? 0, owns));
      if (opts.weights) await m.loadWeights(opts.weights);
      return m;
    } catch (e) {
      if (owns) acq.device.destroy();
      throw e;
    }
  }

  /** Writes the whole training state as a safetensors file, atomically (written beside, then renamed). */
  async saveWeights(path: string, metadata: Readonly<Record<string, string>> = {}): Promise<void> {
    writeCheckpoint(path, { tensors: await this.state(), metadata: { model: this.info.model, ...metadata } });
  }

  /**
   * Loads weights from a safetensors file (one `saveWeights` or `mdl train` wrote). The file is
   * checked first: every parameter and buffer of the model, with its shape and dtype, and no
   * tensor the model does not have (a CheckpointError otherwise; nothing is loaded).
   */
  async loadWeights(path: string): Promise<void> {
    const c = readCheckpoint(path);
    checkFits(path, c, this.layout(), 'weights');
    this.setState(c.tensors);
  }
}
