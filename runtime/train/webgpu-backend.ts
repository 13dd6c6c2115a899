// The WebGPU backend: the whole training step (forward, loss, backward, optimizer update) is one
// compiled plan run in one command encoder, with the parameters and optimizer state living in
// GPU buffers and updated in place. Inference uses a second plan of the forward graph; the
// parameters are copied to it only when a prediction follows training steps.
import { bindDims } from '../../compiler/analysis/summary.js';
import type { TrainStep } from '../../compiler/autodiff/optimizer.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import type { NamedTensor } from '../checkpoint/safetensors.js';
import { acquireDevice, formatReport, type Acquired } from '../device.js';
import { Executor } from '../executor.js';
import type { Backend } from './backend.js';

export class WebGpuBackend implements Backend {
  private dirty = false;

  private constructor(
    private readonly acq: Acquired,
    private readonly trainEx: Executor,
    private readonly evalEx: Executor,
    private readonly input: string,
    private readonly batch: number,
    private readonly perSample: number,
    private readonly classes: number,
    readonly description: string,
  ) {}

  /** Compiles both plans for a fixed batch size and creates every pipeline up front. */
  static async create(step: TrainStep, forward: Graph, batch: number, seed: number): Promise<WebGpuBackend> {
    const acq = await acquireDevice();
    const target = targetOf(acq.report);
    const trainPlan = planGraph(step.graph, { target, dims: bindDims(step.graph, batch), training: true, updates: step.updates });
    const evalPlan = planGraph(forward, { target, dims: bindDims(forward, batch), training: false });
    const [trainEx, evalEx] = await Promise.all([Executor.create(acq.device, trainPlan, { seed, label: 'train' }), Executor.create(acq.device, evalPlan, { seed, label: 'eval' })]);
    const inVal = forward.values[forward.inputs[0]!]!;
    const input = inVal.def.kind === 'input' ? inVal.def.name : 'x';
    const perSample = inVal.type.shape.slice(1).reduce<number>((a, d) => a * (d as number), 1);
    const classes = forward.values[forward.outputs[0]!.value]!.type.shape[1] as number;
    const kernels = trainPlan.dispatches.length;
    const description = `${formatReport(acq.report).replace(/^WebGPU adapter: /, 'WebGPU on ')}; a training step is ${kernels} kernels in one submit`;
    return new WebGpuBackend(acq, trainEx, evalEx, input, batch, perSample, classes, description);
  }

  async step(x: Float32Array, y: Int32Array, size: number, lr: number, stepIndex: number, readLoss: boolean): Promise<number | undefined> {
    if (size !== this.batch) throw new Error(`the WebGPU training plan is compiled for batches of ${this.batch}, got ${size}`);
    const out = await this.trainEx.run({ inputs: { [this.input]: x, labels: y, lr: Float32Array.of(lr) }, read: readLoss ? ['loss'] : [], step: stepIndex });
    this.dirty = true;
    return readLoss ? out.get('loss')![0]! : undefined;
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    if (this.dirty) {
      const names = this.evalEx.plan.params.map((p) => p.param.name);
      for (const [k, v] of await this.trainEx.readParams(names)) this.evalEx.setParam(k, v);
      this.dirty = false;
    }
    // The plan has a fixed batch: a short last batch is padded with zeros, its extra rows dropped.
    let input = x;
    if (size < this.batch) {
      input = new Float32Array(this.batch * this.perSample);
      input.set(x);
    }
    const out = await this.evalEx.run({ inputs: { [this.input]: input } });
    const logits = out.values().next().value as Float32Array;
    return logits.subarray(0, size * this.classes);
  }

  async state(): Promise<Map<string, NamedTensor>> {
    const params = this.trainEx.plan.params.map((p) => p.param);
    const values = await this.trainEx.readParams(params.map((p) => p.name));
    return new Map(params.map((p) => [p.name, { shape: p.shape, data: values.get(p.name)! }]));
  }

  async load(state: ReadonlyMap<string, NamedTensor>): Promise<void> {
    const names = new Set(this.trainEx.plan.params.map((p) => p.param.name));
    for (const [k, t] of state) if (names.has(k)) this.trainEx.setParam(k, t.data);
    this.dirty = true;
  }

  dispose(): void {
    this.trainEx.destroy();
    this.evalEx.destroy();
    this.acq.device.destroy();
  }
}
