// The WebGPU training backend of `mdl train`: the training step and the forward graph planned
// for this machine's adapter (compiler/emit/plan-model.ts), loaded as a CompiledModel and run by
// the runtime's WebGpuBackend — the same path the executable of `mdl compile` takes.
import type { TrainStep } from '../../autodiff/optimizer.js';
import { planModel } from '../../emit/plan-model.js';
import type { Graph } from '../../ir/types.js';
import { targetOf } from '../../kernels/target.js';
import { acquireDevice } from '../../../runtime/device.js';
import { CompiledModel } from '../../../runtime/model.js';
import { WebGpuBackend } from '../../../runtime/train/webgpu-backend.js';

/** Plans both graphs for a fixed batch size on this machine's adapter and creates every pipeline up front. */
export async function webGpuBackend(
  step: TrainStep,
  forward: Graph,
  batch: number,
  seed: number,
): Promise<WebGpuBackend> {
  const acq = await acquireDevice();
  let bundle;
  try {
    bundle = planModel(step, forward, batch, targetOf(acq.report));
  } catch (e) {
    acq.device.destroy();
    throw e;
  }
  return new WebGpuBackend(await CompiledModel.create(bundle, { seed, device: acq, ownsDevice: true }));
}
