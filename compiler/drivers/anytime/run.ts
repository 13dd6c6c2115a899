// Anytime training on WebGPU: the shared weights of every sub-network trained by sampling
// sub-networks each step (compiler/drivers/anytime/sampler.ts) through the gates of one compiled
// plan (compiler/anytime/gates.ts), then every sub-network evaluated: its batchnorm statistics
// recalibrated on training batches, its accuracy on the test split, with its own MACs.
//
// Two plans share the device: the step plan (one gated copy, or the sandwich's copies) and the
// evaluation model (one gated copy: its training step at learning rate 0 recalibrates
// batchnorm, its forward plan predicts). Weights move between them by name.
import { anytimeReport, type AnytimeFamily, type AnytimeReport } from '../../anytime/analysis.js';
import { curveArea } from '../../anytime/curve.js';
import { extremes } from '../../anytime/family.js';
import { gatedGraph, gateValues } from '../../anytime/gates.js';
import { bindDims } from '../../analysis/summary.js';
import { buildTrainStep, type OptimizerSpec } from '../../autodiff/optimizer.js';
import { planModel } from '../../emit/plan-model.js';
import type { Graph } from '../../ir/types.js';
import { targetOf } from '../../kernels/target.js';
import { acquireDevice } from '../../../runtime/device.js';
import { batches, channelStats, epochOrder, rng, type Normalisation } from '../../../runtime/data/batches.js';
import { samplesOf, type Split } from '../../../runtime/data/dataset.js';
import { CompiledModel } from '../../../runtime/model.js';
import type { NamedTensor } from '../../../runtime/checkpoint/safetensors.js';
import { initValues } from '../../../runtime/random/init.js';
import { SAMPLERS, type SamplerName } from './sampler.js';

/** What the compiled plans depend on: the network, how many copies a step trains, the optimizer. */
export interface AnytimeSetup {
  readonly graph: Graph;
  readonly family: AnytimeFamily;
  /** Shared-weight copies in the step graph (the sampler's), and whether copies 1… distill from copy 0. */
  readonly copies: number;
  readonly distill: boolean;
  readonly optimizer: OptimizerSpec;
  readonly batch: number;
  /** TIPS's sharpness τ (default 1). */
  readonly temperature?: number;
}

/** One training run on an opened setup. */
export interface AnytimeRun {
  readonly sampler: SamplerName;
  readonly data: Split;
  /** Peak learning rate of the cosine schedule. */
  readonly lr: number;
  readonly steps: number;
  /** Initialisation and data order. */
  readonly seed: number;
  /** Test samples each sub-network is evaluated on (default: the whole test split). */
  readonly evalLimit?: number;
  /** Training batches that recalibrate each sub-network's batchnorm statistics (default 20). */
  readonly recalibrate?: number;
  readonly logEvery?: number;
  /** One JSON-able row per logged step and per evaluated sub-network. */
  readonly log?: (row: Record<string, unknown>) => void;
  readonly signal?: AbortSignal;
}

export type AnytimeRequest = Omit<AnytimeSetup, 'copies' | 'distill'> & AnytimeRun;

/** Compiled plans for runs of one setup (compiling is the slow part; runs re-initialise). */
export interface AnytimeSession {
  run(r: AnytimeRun): Promise<AnytimeResult>;
  dispose(): void;
}

export interface SubnetResult {
  readonly name: string;
  readonly exit: string;
  readonly skipped: readonly string[];
  readonly params: number;
  readonly macs: number;
  readonly probability: number;
  readonly accuracy: number;
}

export interface AnytimeResult {
  readonly sampler: SamplerName;
  readonly report: AnytimeReport;
  readonly subnets: readonly SubnetResult[];
  /** Area under the accuracy–MACs staircase, normalised (compiler/anytime/curve.ts). */
  readonly auc: number;
  readonly steps: number;
  readonly seconds: number;
  readonly interrupted: boolean;
}

/** Each batchnorm buffer with its layer's momentum. */
function bnBuffers(g: Graph): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of g.nodes) {
    if (n.op !== 'batchnorm2d') continue;
    for (const v of n.inputs.slice(n.dataInputs)) {
      const d = g.values[v]!.def;
      if (d.kind !== 'param') continue;
      const p = g.params[d.param]!;
      if (p.buffer) out.set(p.name, n.attrs['momentum'] as number);
    }
  }
  return out;
}

function argmaxHits(logits: Float32Array, y: Int32Array, size: number, classes: number): number {
  let right = 0;
  for (let i = 0; i < size; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === y[i]) right++;
  }
  return right;
}

/** Endless shuffled, normalised training batches of a fixed size, epoch after epoch. */
function* trainBatches(data: Split['train'], batch: number, seed: number, norm: Normalisation) {
  for (let epoch = 0; ; epoch++) yield* batches(data, batch, { seed, epoch, norm, dropLast: true });
}

export async function trainAnytime(req: AnytimeRequest): Promise<AnytimeResult> {
  const sampler = SAMPLERS[req.sampler];
  const session = await openAnytime({ ...req, copies: sampler.copies, distill: sampler.distill });
  try {
    return await session.run(req);
  } finally {
    session.dispose();
  }
}

export async function openAnytime(setup: AnytimeSetup): Promise<AnytimeSession> {
  const { graph: g, family } = setup;
  const s = family.structure;
  const report = anytimeReport(g, bindDims(g, 1), family, setup.temperature ?? 1);
  const tipsP = report.subnets.map((r) => r.probability);
  const { largest, smallest } = extremes(family.subnets, s);
  const train = gatedGraph(g, s, setup.copies, setup.distill);
  const one = setup.copies === 1 ? train : gatedGraph(g, s, 1);
  const stepOf = (gg: typeof train) =>
    buildTrainStep(gg.graph, {
      loss: gg.loss === 'output' ? { kind: 'output', output: 'loss' } : { kind: 'cross_entropy' },
      optimizer: setup.optimizer,
    });
  const acq = await acquireDevice();
  const target = targetOf(acq.report);
  const models: CompiledModel[] = [];
  const dispose = () => {
    for (const m of models) m.dispose();
    acq.device.destroy();
  };
  let evalModel: CompiledModel;
  let trainModel: CompiledModel;
  try {
    evalModel = await CompiledModel.create(planModel(stepOf(one), one.graph, setup.batch, target), {
      device: acq,
      ownsDevice: false,
    });
    models.push(evalModel);
    trainModel = evalModel;
    if (setup.copies > 1) {
      trainModel = await CompiledModel.create(planModel(stepOf(train), one.graph, setup.batch, target), {
        device: acq,
        ownsDevice: false,
      });
      models.push(trainModel);
    }
  } catch (e) {
    dispose();
    throw e;
  }
  const layout = await trainModel.state();
  const byName = new Map(g.params.map((p) => [p.name, p]));
  /** The state of a fresh run: parameters drawn for the seed (as the runtime draws them), optimizer state zero. */
  const fresh = (seed: number) =>
    new Map<string, NamedTensor>(
      [...layout].map(([name, t]) => {
        const p = byName.get(name);
        const data = p
          ? (initValues(p.init, p.shape, seed, p.name, 'f32') as Float32Array)
          : new Float32Array(t.data.length);
        return [name, { shape: t.shape, data }];
      }),
    );
  return {
    dispose,
    async run(req) {
      if (SAMPLERS[req.sampler].copies !== setup.copies || SAMPLERS[req.sampler].distill !== setup.distill)
        throw new Error(`the ${req.sampler} sampler needs a session opened for its own copies`);
      return runOnce(req);
    },
  };

  async function runOnce(req: AnytimeRun): Promise<AnytimeResult> {
    const t0 = Date.now();
    const sampler = SAMPLERS[req.sampler];
    const init = fresh(req.seed);
    trainModel.setState(init);
    if (evalModel !== trainModel) evalModel.setState(init);
    const norm = channelStats(req.data.train);
    const draws = rng((req.seed * 0x2545f491) ^ 0x9e3779b9);
    const it = trainBatches(req.data.train, setup.batch, req.seed, norm);
    const logEvery = req.logEvery ?? 50;
    let interrupted = false;
    let step = 0;
    for (; step < req.steps; step++) {
      if (req.signal?.aborted) {
        interrupted = true;
        break;
      }
      const b = it.next().value as { x: Float32Array; y: Int32Array };
      const picks = sampler.draw({ rng: draws, subnets: family.subnets.length, largest, smallest, tips: tipsP });
      const gates: Record<string, Float32Array> = {};
      picks.forEach((p, k) => Object.assign(gates, gateValues(s, family.subnets[p]!, train.copies[k]!)));
      const lr = 0.5 * req.lr * (1 + Math.cos((Math.PI * step) / req.steps));
      const read = (step + 1) % logEvery === 0 || step === req.steps - 1;
      const out = await trainModel.trainStepReading(b.x, b.y, lr, step, read ? ['loss'] : [], gates);
      if (read) {
        const loss = out.get('loss')![0]!;
        if (!Number.isFinite(loss))
          throw new Error(`the loss became ${loss} at step ${step + 1}; lower the learning rate`);
        req.log?.({ kind: 'step', step: step + 1, loss, lr, subnets: picks.map((p) => family.subnets[p]!.name) });
      }
    }
    // Evaluation: every sub-network from the trained weights, batchnorm recalibrated for it.
    const trained = await trainModel.state();
    const buffers = bnBuffers(g);
    const R = req.recalibrate ?? 20;
    const calib = [...batches(req.data.train, setup.batch, { seed: req.seed + 1, norm, dropLast: true })].slice(0, R);
    const limit = Math.min(req.evalLimit ?? req.data.test.count, req.data.test.count);
    const pick = epochOrder(req.data.test.count, 0x7e57, 0).subarray(0, limit);
    const testSet = samplesOf(req.data.test, pick);
    const results: SubnetResult[] = [];
    const one0 = one.copies[0]!;
    for (const [i, sub] of family.subnets.entries()) {
      const gates = gateValues(s, sub, one0);
      // Running statistics from zero, then corrected for the zero start: after R updates with
      // momentum m the estimate is (1 − (1 − m)^R) times the weighted batch average.
      const state = new Map<string, NamedTensor>(trained);
      for (const name of buffers.keys()) {
        const t = trained.get(name)!;
        state.set(name, { shape: t.shape, data: new Float32Array(t.data.length) });
      }
      evalModel.setState(state);
      for (const c of calib) await evalModel.trainStepReading(c.x, c.y, 0, 0, [], gates);
      const after = await evalModel.readTensors([...buffers.keys()]);
      const fixed = new Map<string, NamedTensor>();
      for (const [name, m] of buffers) {
        const scale = 1 / (1 - Math.pow(1 - m, calib.length));
        fixed.set(name, { shape: trained.get(name)!.shape, data: after.get(name)!.map((v) => v * scale) });
      }
      evalModel.setState(fixed);
      let right = 0;
      for (const tb of batches(testSet, setup.batch, { shuffle: false, norm }))
        right += argmaxHits(await evalModel.forward(tb.x, tb.size, gates), tb.y, tb.size, testSet.classes);
      const r = report.subnets[i]!;
      const row: SubnetResult = {
        name: sub.name,
        exit: r.exit,
        skipped: sub.skipped,
        params: r.params,
        macs: r.macs,
        probability: r.probability,
        accuracy: right / limit,
      };
      results.push(row);
      req.log?.({ kind: 'subnet', sampler: req.sampler, ...row });
    }
    // Leave the evaluation model holding the trained weights (and running statistics).
    evalModel.setState(trained);
    return {
      sampler: req.sampler,
      report,
      subnets: results,
      auc: curveArea(results),
      steps: step,
      seconds: (Date.now() - t0) / 1000,
      interrupted,
    };
  }
}
