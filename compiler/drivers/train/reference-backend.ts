// The reference backend: training steps run by the CPU interpreter in float32. Slow, exact, and
// chosen explicitly with `--backend reference`; it is the oracle the WebGPU backend is tested
// against.
import type { TrainStep } from '../../autodiff/optimizer.js';
import { applyStep } from '../../autodiff/optimizer.js';
import { initParams } from '../../reference/init.js';
import { run } from '../../interp/interpreter.js';
import { intTensor, type Tensor } from '../../reference/tensor.js';
import type { Graph } from '../../ir/types.js';
import type { NamedTensor } from '../../../runtime/checkpoint/safetensors.js';
import type { Backend } from '../../../runtime/train/backend.js';

export class ReferenceBackend implements Backend {
  readonly description = 'reference interpreter (CPU, float32)';
  private params: Map<string, Tensor>;
  /** The model's image input (the training graph adds `labels` and `lr`). */
  private readonly input: string;

  constructor(
    private readonly train: TrainStep,
    private readonly forward: Graph,
    private readonly sampleShape: readonly number[],
    private readonly seed: number,
  ) {
    this.params = initParams(train.graph, seed, 'f32');
    const v = forward.values[forward.inputs[0]!]!;
    this.input = v.def.kind === 'input' ? v.def.name : 'x';
  }

  async step(
    x: Float32Array,
    y: Int32Array,
    size: number,
    lr: number,
    stepIndex: number,
    readLoss: boolean,
  ): Promise<number | undefined> {
    const inputs = {
      [this.input]: { shape: [size, ...this.sampleShape], data: x },
      labels: intTensor([size], y),
      lr: { shape: [], data: Float32Array.of(lr) },
    };
    const r = run(this.train.graph, {
      inputs,
      params: this.params,
      precision: 'f32',
      training: true,
      seed: this.seed,
      step: stepIndex,
    });
    this.params = applyStep(this.train, this.params, r.outputs, r.buffers);
    return readLoss ? r.outputs.get('loss')!.data[0]! : undefined;
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    const r = run(this.forward, {
      inputs: { [this.input]: { shape: [size, ...this.sampleShape], data: x } },
      params: this.params,
      precision: 'f32',
    });
    return Float32Array.from(r.outputs.values().next().value!.data);
  }

  async state(): Promise<Map<string, NamedTensor>> {
    const out = new Map<string, NamedTensor>();
    for (const [k, t] of this.params) out.set(k, { shape: t.shape, data: Float32Array.from(t.data) });
    return out;
  }

  async load(state: ReadonlyMap<string, NamedTensor>): Promise<void> {
    for (const [k, t] of state)
      if (this.params.has(k)) this.params.set(k, { shape: t.shape, data: Float32Array.from(t.data) });
  }

  dispose(): void {}
}
