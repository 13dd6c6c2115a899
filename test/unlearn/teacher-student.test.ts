// Teacher–student unlearning of an encoder–decoder (compiler/unlearn/teacher-student.ts): on a
// tiny masked autoencoder, the loss is 0 with zero gradients at the start when α = 0, the
// training step has no gradients, kernels or optimizer state for the decoder or the teacher, and
// the three encoder calls of a step draw the same masks (on the interpreter and on WebGPU).
import { afterAll, describe, expect, it } from 'vitest';
import { bindDims } from '../../compiler/analysis/summary.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { run } from '../../compiler/interp/interpreter.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { initParams } from '../../compiler/reference/init.js';
import { tensor, type Tensor } from '../../compiler/reference/tensor.js';
import {
  FORGET_WEIGHT,
  NOISE_INPUT,
  RETAIN_WEIGHT,
  teacherName,
  teacherStudent,
} from '../../compiler/unlearn/teacher-student.js';
import { MdlError } from '../../compiler/diagnostics/diagnostic.js';
import { Executor } from '../../runtime/executor.js';
import { graphOf } from '../helpers/compile.js';
import { device, rng, target } from '../kernels/harness.js';
import { TINY_MAE } from '../helpers/tiny-mae.js';

afterAll(async () => (await device()).device.destroy());

const TINY = TINY_MAE;
const N = 3;

function setup() {
  const g = graphOf(TINY);
  const ts = teacherStudent(g, 'norm');
  return { g, ts };
}

/** Inputs of the teacher–student graph: random images and noise, and the per-sample weights. */
function inputs(seed: number, wr: number[], wf: number[]): Record<string, Tensor> {
  const r = rng(seed);
  const img = () =>
    tensor(
      [N, 1, 8, 8],
      Float64Array.from({ length: N * 64 }, () => r()),
      'f64',
    );
  return {
    x: img(),
    [NOISE_INPUT]: img(),
    [RETAIN_WEIGHT]: tensor([N], Float64Array.from(wr), 'f64'),
    [FORGET_WEIGHT]: tensor([N], Float64Array.from(wf), 'f64'),
  };
}

/** The model's initial weights, the teacher's a copy of the student's (as unlearning starts). */
function weights(model: Graph, ts: ReturnType<typeof setup>['ts']): Map<string, Tensor> {
  const init = initParams(model, 5);
  const out = new Map<string, Tensor>();
  for (const name of ts.encoder) {
    out.set(name, init.get(name)!);
    out.set(teacherName(name), init.get(name)!);
  }
  return out;
}

describe('the teacher–student graph', () => {
  it('holds the encoder twice (student, frozen teacher) and no decoder', () => {
    const { g, ts } = setup();
    expect(ts.encoder).toEqual(['embed.weight', 'embed.bias', 'enc.weight', 'enc.bias', 'norm.weight', 'norm.bias']);
    expect([...ts.decoder].sort()).toEqual(['dec.bias', 'dec.weight', 'mask_token']);
    expect(ts.random).toEqual(['masking.mask']);
    const params = ts.graph.params;
    expect(params.filter((p) => p.trainable).map((p) => p.name)).toEqual(ts.encoder);
    expect(params.filter((p) => !p.trainable).map((p) => p.name)).toEqual(ts.encoder.map(teacherName));
    expect(params.some((p) => ts.decoder.includes(p.name))).toBe(false);
    expect(g.params.map((p) => p.name)).toEqual(expect.arrayContaining([...ts.encoder, ...ts.decoder]));
  });

  it('names a missing embedding layer with a coded error', () => {
    const g = graphOf(TINY);
    let err: unknown;
    try {
      teacherStudent(g, 'norn');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MdlError);
    expect((err as MdlError).diagnostic.code).toBe('MDL8604');
    expect((err as MdlError).diagnostic.hint).toMatch(/norm/);
  });

  it('α = 0 at the start: the loss is exactly 0 and every gradient is 0; α > 0 gives a loss and gradients', () => {
    const { g, ts } = setup();
    const step = buildTrainStep(ts.graph, {
      loss: { kind: 'output', output: 'loss' },
      optimizer: { kind: 'sgd', weightDecay: 0 },
    });
    const params = weights(g, ts);
    const lr = { lr: tensor([], Float64Array.of(0.1), 'f64') };
    const zero = run(step.graph, {
      inputs: { ...inputs(1, [1, 0, 1], [0, 0, 0]), ...lr },
      params,
      training: true,
      seed: 3,
      step: 4,
    });
    expect(zero.outputs.get('loss')!.data[0]).toBe(0);
    expect([...step.grads.keys()]).toEqual(ts.encoder);
    for (const name of ts.encoder) expect(Math.max(...zero.outputs.get(`grad:${name}`)!.data.map(Math.abs))).toBe(0);
    // The same start with α = 0.2 on the second sample (a forget image): the loss and gradients are not 0.
    const some = run(step.graph, {
      inputs: { ...inputs(1, [1, 0, 1], [0, 0.2, 0]), ...lr },
      params,
      training: true,
      seed: 3,
      step: 4,
    });
    expect(some.outputs.get('loss')!.data[0]).toBeGreaterThan(1e-4);
    expect(Math.max(...some.outputs.get('grad:enc.weight')!.data.map(Math.abs))).toBeGreaterThan(1e-6);
  });

  it('the training step has gradients, update kernels and optimizer state for the encoder only', async () => {
    const { ts } = setup();
    const step = buildTrainStep(ts.graph, {
      loss: { kind: 'output', output: 'loss' },
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.05 },
    });
    const plan = planGraph(step.graph, {
      target: await target(),
      dims: bindDims(step.graph, N),
      training: true,
      updates: step.updates,
    });
    const trained = new Set(ts.encoder);
    // Every parameter of the plan is a student parameter, its optimizer state, or a teacher copy.
    const names = plan.params.map((p) => p.param.name);
    expect(names.filter((n) => !n.includes('@') && !n.startsWith('teacher:')).sort()).toEqual([...trained].sort());
    expect(names.filter((n) => n.includes('@')).map((n) => n.split('@')[0]!)).toSatisfy((ps: string[]) =>
      ps.every((p) => trained.has(p)),
    );
    expect(names.filter((n) => n.startsWith('teacher:')).sort()).toEqual(ts.encoder.map(teacherName).sort());
    for (const d of ts.decoder) expect(names.some((n) => n === d || n.startsWith(`${d}@`))).toBe(false);
    // Gradients and updates: encoder parameters only; no kernel writes a teacher or decoder gradient.
    expect([...step.updates.keys()].filter((k) => !k.includes('@')).sort()).toEqual([...trained].sort());
    const outs = step.graph.outputs.map((o) => o.name).filter((n) => n.startsWith('grad:'));
    expect(outs.sort()).toEqual(ts.encoder.map((n) => `grad:${n}`).sort());
    const kernels = plan.dispatches.map((d) => d.kernel.name).join('\n');
    expect(kernels).not.toMatch(/teacher[^\n]*vjp/);
    expect(kernels).not.toMatch(/\bdec\b/);
  });

  it('the three encoder calls of a step draw the same masks, a new one each step (interpreter)', () => {
    const { g, ts } = setup();
    const params = weights(g, ts);
    const masks = (step: number) => {
      const r = run(ts.graph, {
        inputs: inputs(2, [1, 1, 1], [0, 0, 0]),
        params,
        training: true,
        seed: 9,
        step,
        keepAll: true,
      });
      return ts.graph.nodes
        .filter((n) => n.op === 'token_mask')
        .map((n) => [n.name, [...r.values![n.outputs[2]!]!.data]] as const);
    };
    const s0 = masks(0);
    expect(s0.map(([n]) => n)).toEqual(['masking.mask', 'teacher.masking.mask', 'teacher_noise.masking.mask']);
    expect(s0[1]![1]).toEqual(s0[0]![1]);
    expect(s0[2]![1]).toEqual(s0[0]![1]);
    expect(s0[0]![1].reduce((a, b) => a + b, 0)).toBe(N * 2);
    const later = [1, 2, 3].map((s) => masks(s)[0]![1]);
    expect(later.some((m) => m.join() !== s0[0]![1].join())).toBe(true);
  });

  it('on WebGPU the loss and every gradient are 0 at the start with α = 0', async () => {
    const { g, ts } = setup();
    const acq = await device();
    const gg = buildGradient(ts.graph, { loss: { kind: 'output', output: 'loss' } });
    const plan = planGraph(gg.graph, { target: await target(), dims: bindDims(gg.graph, N), training: true });
    const params = new Map([...weights(g, ts)].map(([k, t]) => [k, Float32Array.from(t.data)]));
    const ex = await Executor.create(acq.device, plan, { params, seed: 11 });
    try {
      const ins = (wf: number[]) =>
        Object.fromEntries(Object.entries(inputs(6, [1, 1, 0], wf)).map(([k, t]) => [k, Float32Array.from(t.data)]));
      const grads = ts.encoder.map((n) => `grad:${n}`);
      const zero = await ex.run({ inputs: ins([0, 0, 0]), read: ['loss', ...grads], step: 3 });
      expect(zero.get('loss')![0]).toBe(0);
      for (const n of grads) expect(Math.max(...[...zero.get(n)!].map(Math.abs)), n).toBe(0);
      const some = await ex.run({ inputs: ins([0, 0, 1]), read: ['loss', 'grad:enc.weight'], step: 3 });
      expect(some.get('loss')![0]).toBeGreaterThan(1e-4);
      expect(Math.max(...[...some.get('grad:enc.weight')!].map(Math.abs))).toBeGreaterThan(1e-6);
    } finally {
      ex.destroy();
    }
  }, 120_000);

  it('on WebGPU the three masks match too, and the loss starts at 0 with α = 0', async () => {
    const { g, ts } = setup();
    const acq = await device();
    const maskValues = ts.graph.nodes.filter((n) => n.op === 'token_mask').map((n) => n.outputs[2]!);
    const plan = planGraph(ts.graph, {
      target: await target(),
      dims: bindDims(ts.graph, N),
      training: true,
      keep: maskValues,
    });
    const params = new Map([...weights(g, ts)].map(([k, t]) => [k, Float32Array.from(t.data)]));
    const ex = await Executor.create(acq.device, plan, { params, seed: 9 });
    try {
      const ins = Object.fromEntries(
        Object.entries(inputs(2, [1, 1, 1], [0, 0, 0])).map(([k, t]) => [k, Float32Array.from(t.data)]),
      );
      const names = maskValues.map((v) => plan.readable.get(v)!.name);
      for (const step of [0, 7]) {
        const out = await ex.run({ inputs: ins, read: [...names, 'loss'], step });
        const [a, b, c] = names.map((n) => [...out.get(n)!]);
        expect(b).toEqual(a);
        expect(c).toEqual(a);
        expect(a!.reduce((x, y) => x + y, 0)).toBe(N * 2);
        expect(out.get('loss')![0]).toBe(0);
      }
    } finally {
      ex.destroy();
    }
  }, 120_000);
});
