// The WebGPU backend: a thin layer over CompiledModel (runtime/model.ts), the same typed API the
// executable of `mdl compile` uses. The whole training step (forward, loss, backward, optimizer
// update) is one compiled plan run in one command encoder, with the parameters and optimizer
// state living in GPU buffers and updated in place; inference uses a second plan of the forward
// graph. Planning the model is the compiler's (compiler/drivers/train/webgpu.ts).
import type { NamedTensor } from '../checkpoint/safetensors.js';
import type { CompiledModel } from '../model.js';
import type { Backend } from './backend.js';

export class WebGpuBackend implements Backend {
  readonly description: string;

  constructor(readonly model: CompiledModel) {
    this.description = model.description;
  }

  async step(
    x: Float32Array,
    y: Int32Array,
    size: number,
    lr: number,
    stepIndex: number,
    readLoss: boolean,
  ): Promise<number | undefined> {
    if (size !== this.model.info.batch)
      throw new Error(`the WebGPU training plan is compiled for batches of ${this.model.info.batch}, got ${size}`);
    return this.model.trainStep(x, y, lr, stepIndex, { readLoss });
  }

  predict(x: Float32Array, size: number): Promise<Float32Array> {
    return this.model.forward(x, size);
  }

  state(): Promise<Map<string, NamedTensor>> {
    return this.model.state();
  }

  async load(state: ReadonlyMap<string, NamedTensor>): Promise<void> {
    this.model.setState(state);
  }

  dispose(): void {
    this.model.dispose();
  }
}
