// `mdl compile` as a library call: a classifier and its train section → the training step's
// graph, both plans, the generated module, and the folder holding them.
import { buildTrainStep } from '../autodiff/optimizer.js';
import type { Graph } from '../ir/types.js';
import type { Target } from '../kernels/target.js';
import type { SourceFile } from '../source.js';
import type { TrainSpec } from '../train/spec.js';
import { serializeBundle } from './bundle.js';
import { generateModule } from './generate.js';
import { planModel } from './plan-model.js';
import { readme } from './readme.js';
import { sourceHash, trainSettings } from './settings.js';
import { checkOutputDir, packageRoot, writeOutput } from './write.js';

export interface EmitInput {
  readonly graph: Graph;
  readonly spec: TrainSpec | undefined;
  readonly frozen: readonly string[];
  readonly sources: ReadonlyMap<string, SourceFile>;
  /** The .mdl file as the user named it. */
  readonly sourcePath: string;
  readonly batch?: number;
  readonly target: Target;
  readonly dir: string;
}

export interface EmitResult {
  readonly files: readonly string[];
  readonly trainKernels: number;
  readonly forwardKernels: number;
  readonly kernelFiles: number;
  readonly batch: number;
}

/** Plans, generates and writes; throws KernelError (unplannable), OutputError (bad folder), AutodiffError. */
export async function emitExecutable(e: EmitInput): Promise<EmitResult> {
  checkOutputDir(e.dir);
  const settings = trainSettings(e.spec, e.batch);
  const step = buildTrainStep(e.graph, { loss: e.spec?.loss ?? { kind: 'cross_entropy' }, optimizer: settings.optimizer, frozen: e.frozen });
  const planned = planModel(step, e.graph, settings.batch, e.target);
  const { json, kernels } = serializeBundle(planned);
  const source = { path: e.sourcePath, hash: sourceHash(e.sources) };
  const module = await generateModule({ info: planned.info, settings, source, ...(e.spec ? { section: e.spec.name } : {}), version: packageRoot().version });
  const counts = { train: planned.train.dispatches.length, forward: planned.forward.dispatches.length, files: kernels.files.length };
  const files = writeOutput({ dir: e.dir, bundle: json, kernels, module, readme: readme(planned.info, settings, e.sourcePath, counts) });
  return { files, trainKernels: counts.train, forwardKernels: counts.forward, kernelFiles: counts.files, batch: settings.batch };
}
