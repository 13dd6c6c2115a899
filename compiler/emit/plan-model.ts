// Plans a classifier for one batch size and adapter: the training step (with the optimizer's
// outputs written into the parameters' own buffers) and the forward pass for inference. This is
// the one place both `mdl train` and `mdl compile` plan a model, so the executable `mdl compile`
// writes runs exactly the kernels `mdl train` runs.
import { bindDims } from '../analysis/summary.js';
import type { TrainStep } from '../autodiff/optimizer.js';
import type { Graph } from '../ir/types.js';
import { planGraph, type Plan } from '../kernels/plan.js';
import type { Target } from '../kernels/target.js';
import type { ModelBundle, ModelInfo, ParamInfo } from '../../runtime/plan/bundle.js';

export interface PlannedModel extends ModelBundle {
  readonly train: Plan;
  readonly forward: Plan;
}

/** `forward` is the graph that is trained (a section's rewrites may have changed it); `name` the model's. */
export function planModel(
  step: TrainStep,
  forward: Graph,
  batch: number,
  target: Target,
  name = forward.name,
): PlannedModel {
  const train = planGraph(step.graph, {
    target,
    dims: bindDims(step.graph, batch),
    training: true,
    updates: step.updates,
  });
  const fwd = planGraph(forward, { target, dims: bindDims(forward, batch), training: false });
  const inVal = forward.values[forward.inputs[0]!]!;
  const optimizerState = new Set([...step.state.values()].flat());
  const params: ParamInfo[] = train.params.map(({ param: p }) => ({
    name: p.name,
    shape: p.shape,
    kind: optimizerState.has(p.name) ? 'state' : p.buffer ? 'buffer' : 'param',
  }));
  const info: ModelInfo = {
    model: name,
    batch,
    input: inVal.def.kind === 'input' ? inVal.def.name : 'x',
    sampleShape: fwd.inputs[0]!.shape.slice(1),
    classes: fwd.outputs[0]!.shape[1]!,
    optimizer: step.optimizer,
    params,
  };
  return { info, train, forward: fwd };
}
