// What the trainer needs from an execution backend. The WebGPU runtime and the reference
// interpreter both implement it; the trainer never knows which one runs, and the choice is
// always explicit (`--backend`), never a fallback.
import type { NamedTensor } from '../checkpoint/safetensors.js';

export interface Backend {
  /** One line for logs: what executes the steps. */
  readonly description: string;
  /**
   * One training step (forward, loss, backward, optimizer update) on a batch of `size` samples.
   * Returns the loss only when `readLoss` is true: reading back costs a GPU round trip.
   */
  step(
    x: Float32Array,
    y: Int32Array,
    size: number,
    lr: number,
    stepIndex: number,
    readLoss: boolean,
  ): Promise<number | undefined>;
  /** Inference-mode logits [size, classes] for a batch. */
  predict(x: Float32Array, size: number): Promise<Float32Array>;
  /** Parameters, buffers and optimizer state, by name (what a checkpoint holds). */
  state(): Promise<Map<string, NamedTensor>>;
  /** Restores what `state` returned (from a checkpoint). */
  load(state: ReadonlyMap<string, NamedTensor>): Promise<void>;
  dispose(): void;
}
