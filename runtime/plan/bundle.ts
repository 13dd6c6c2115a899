// A compiled classifier as the runtime loads it: the plan of one whole training step (forward,
// loss, backward, optimizer update, parameters and optimizer state updated in place), the plan
// of the forward pass for inference, and what a caller needs to feed them (input name, sample
// shape, classes, batch). `mdl compile` writes it as `plan.json` beside `kernels/*.wgsl`;
// `mdl train` builds the same thing in memory. Both then run through runtime/model.ts.
import type { ExecutablePlan, OptimizerSpec } from './types.js';
import { KernelFiles, loadPlan, PlanFormatError, serializePlan, type PlanJson } from './plan-json.js';

export const BUNDLE_FORMAT = 'mdl-compiled-1';

export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  /** param: trained weights; buffer: model state such as running statistics; state: optimizer state. */
  readonly kind: 'param' | 'buffer' | 'state';
}

export interface ModelInfo {
  /** The model's name (its graph's). */
  readonly model: string;
  /** The batch size both plans are compiled for. */
  readonly batch: number;
  /** The image input's name; the training plan also takes `labels` (i32) and `lr`. */
  readonly input: string;
  /** One sample's shape [C, H, W]. */
  readonly sampleShape: readonly number[];
  readonly classes: number;
  readonly optimizer: OptimizerSpec;
  /** Every tensor of the training state, in plan order (what a checkpoint holds). */
  readonly params: readonly ParamInfo[];
}

export interface ModelBundle {
  readonly info: ModelInfo;
  readonly train: ExecutablePlan;
  readonly forward: ExecutablePlan;
}

export interface BundleJson {
  readonly format: typeof BUNDLE_FORMAT;
  readonly info: ModelInfo;
  readonly train: PlanJson;
  readonly forward: PlanJson;
}

/** The bundle as JSON and its kernel files (`kernels/NNN_name.wgsl`, shared between the plans). */
export function serializeBundle(b: ModelBundle): { json: BundleJson; kernels: KernelFiles } {
  const kernels = new KernelFiles();
  const train = serializePlan(b.train, kernels);
  const forward = serializePlan(b.forward, kernels);
  return { json: { format: BUNDLE_FORMAT, info: b.info, train, forward }, kernels };
}

/** A bundle from its JSON; `wgsl(file)` reads a kernel file. Throws PlanFormatError. */
export function loadBundle(json: unknown, wgsl: (file: string) => string): ModelBundle {
  if (typeof json !== 'object' || json === null) throw new PlanFormatError('plan: expected an object');
  const o = json as Record<string, unknown>;
  if (o['format'] !== BUNDLE_FORMAT)
    throw new PlanFormatError(
      `plan.format: expected "${BUNDLE_FORMAT}", got ${JSON.stringify(o['format'])} (compiled by another version of mdl? recompile it)`,
    );
  const info = o['info'] as ModelInfo | undefined;
  if (
    typeof info !== 'object' ||
    info === null ||
    typeof info.model !== 'string' ||
    typeof info.input !== 'string' ||
    !Number.isInteger(info.batch) ||
    !Number.isInteger(info.classes) ||
    !Array.isArray(info.sampleShape) ||
    !Array.isArray(info.params)
  )
    throw new PlanFormatError('plan.info: expected the model, input, batch, sampleShape, classes and params');
  const train = loadPlan(o['train'], wgsl, 'plan.train');
  const forward = loadPlan(o['forward'], wgsl, 'plan.forward');
  for (const [p, name] of [
    [train, 'train'],
    [forward, 'forward'],
  ] as const)
    if (!p.inputs.some((i) => i.name === info.input))
      throw new PlanFormatError(`plan.${name}: no input named ${info.input}`);
  if (!train.outputs.some((x) => x.name === 'loss')) throw new PlanFormatError('plan.train: no loss output');
  return { info, train, forward };
}
