// `mdl compile` as a library call: a classifier and its train section → the training step's
// graph, both plans, the generated module, and the folder holding them.
import type { Graph } from '../ir/types.js';
import type { Target } from '../kernels/target.js';
import { rewrittenTrainStep } from '../rewrites/index.js';
import type { RewritePlan } from '../rewrites/select.js';
import type { SourceFile } from '../source.js';
import type { TrainSpec } from '../train/spec.js';
import { serializeBundle } from '../../runtime/plan/bundle.js';
import { generateModule } from './generate.js';
import { planModel } from './plan-model.js';
import { readme } from './readme.js';
import { sourceHash, trainSettings } from './settings.js';
import { checkOutputDir, packageRoot, writeOutput } from './write.js';

export interface EmitInput {
  readonly graph: Graph;
  readonly spec: TrainSpec | undefined;
  readonly frozen: readonly string[];
  /** The section's backward rules (LoRA, NTK, gradient filters), trained under as `mdl train` does. */
  readonly rewrites: RewritePlan;
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
  const { step, rewritten } = rewrittenTrainStep(e.graph, e.rewrites, {
    loss: e.spec?.loss ?? { kind: 'cross_entropy' },
    optimizer: settings.optimizer,
    frozen: e.frozen,
  });
  const planned = planModel(step, rewritten.graph, settings.batch, e.target, e.graph.name);
  const { json, kernels } = serializeBundle(planned);
  const source = { path: e.sourcePath, hash: sourceHash(e.sources) };
  const module = await generateModule({
    info: planned.info,
    settings,
    source,
    ...(e.spec ? { section: e.spec.name } : {}),
    version: packageRoot().version,
  });
  const counts = {
    train: planned.train.dispatches.length,
    forward: planned.forward.dispatches.length,
    files: kernels.files.length,
  };
  const files = writeOutput({
    dir: e.dir,
    bundle: json,
    kernels,
    module,
    readme: readme(planned.info, settings, e.sourcePath, counts),
  });
  return {
    files,
    trainKernels: counts.train,
    forwardKernels: counts.forward,
    kernelFiles: counts.files,
    batch: settings.batch,
  };
}
