// The optimizer update as one kernel per parameter group (compiler/kernels/groups.ts): the
// packed layout of parameters, gradients and state, groups keyed by the update's attributes,
// groups split where a packed buffer would outgrow one storage binding — each checked against
// the interpreter's training step.
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../helpers/compile.js';
import { buildTrainStep, type OptimizerSpec, type TrainStep } from '../../compiler/autodiff/optimizer.js';
import type { Graph } from '../../compiler/ir/types.js';
import { planGraph, type Plan } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET, type Target } from '../../compiler/kernels/target.js';
import { device, runBoth, stepErrors, target, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

function lenet(optimizer: OptimizerSpec): TrainStep {
  return buildTrainStep(compileFile('examples/lenet5.mdl').graph!, { loss: { kind: 'cross_entropy' }, optimizer });
}

const updateKernels = (plan: Plan) => plan.dispatches.filter((d) => /_update×/.test(d.name));

async function matches(g: Graph, updates: ReadonlyMap<string, string>, t: Target): Promise<Plan> {
  const r = await runBoth(g, {
    dims: { B: 2 },
    training: true,
    classes: 10,
    updates,
    given: { lr: new Float32Array([0.05]) },
    step: 1,
    target: t,
  });
  for (const [name, err] of stepErrors(r, updates)) expect(err, `${name}\n${show(r.plan)}`).toBeLessThan(1e-4);
  r.executor.destroy();
  return r.plan;
}

describe('one fused optimizer kernel per parameter group', () => {
  it('packs parameters, gradients and momentum at the same 16-byte-aligned offsets, in graph order', () => {
    const ts = lenet({ kind: 'sgd', momentum: 0.9 });
    const plan = planGraph(ts.graph, { target: SOFTWARE_TARGET, dims: { B: 2 }, training: true, updates: ts.updates });
    const [k, ...rest] = updateKernels(plan);
    expect(rest).toEqual([]);
    expect(k!.nodes).toHaveLength(10);
    // parameter, gradient and momentum buffers plus the learning rate, however many parameters
    expect(k!.bindings).toHaveLength(4);
    const trained = plan.params.filter((p) => !p.param.buffer);
    const state = plan.params.filter((p) => p.param.buffer);
    expect(new Set(trained.map((p) => p.buffer)).size).toBe(1);
    expect(new Set(state.map((p) => p.buffer)).size).toBe(1);
    expect(plan.buffers[trained[0]!.buffer]!.role).toBe('param');
    expect(plan.buffers[state[0]!.buffer]!.role).toBe('state');
    let end = 0;
    for (const p of trained) {
      expect(p.byteOffset % 16).toBe(0);
      expect(p.byteOffset).toBeGreaterThanOrEqual(end);
      end = p.byteOffset + p.param.shape.reduce((a, d) => a * d, 1) * 4;
      // its momentum buffer sits at the same offset in the state buffer
      expect(state.find((s) => s.param.name === `${p.param.name}@momentum_buffer`)!.byteOffset).toBe(p.byteOffset);
    }
    // gradients are read back from their packed buffer at the same offsets
    for (const p of trained) {
      const g = plan.outputs.find((o) => o.name === `grad:${p.param.name}`)!;
      expect(g.byteOffset).toBe(p.byteOffset);
    }
  });

  it('keys groups by the update attributes: two weight decays, two kernels, each matching the interpreter', async () => {
    const ts = lenet({ kind: 'sgd', momentum: 0.9 });
    const nodes = ts.graph.nodes.map((n) =>
      n.name.startsWith('optim.fc') ? { ...n, attrs: { ...n.attrs, weight_decay: 0.01 } } : n,
    );
    const g: Graph = { ...ts.graph, nodes };
    const plan = await matches(g, ts.updates, await target());
    expect(updateKernels(plan).map((d) => d.nodes.length)).toEqual([4, 6]);
  });

  it('splits a group where a packed buffer would outgrow one storage binding', async () => {
    const ts = lenet({ kind: 'adam' });
    const t = await target();
    // 50 000 floats per binding: LeNet-5's 61 706 parameters split before and after fc1.weight (48 000)
    const small: Target = { ...t, limits: { ...t.limits, maxStorageBufferBindingSize: 200_000 } };
    const plan = await matches(ts.graph, ts.updates, small);
    expect(updateKernels(plan).map((d) => d.nodes.length)).toEqual([4, 2, 4]);
  });

  it('leaves updates that are not written in place as one kernel each', () => {
    const ts = lenet({ kind: 'sgd', momentum: 0.9 });
    const plan = planGraph(ts.graph, { target: SOFTWARE_TARGET, dims: { B: 2 }, training: true });
    expect(updateKernels(plan)).toEqual([]);
    expect(plan.dispatches.filter((d) => d.name.startsWith('optim.')).length).toBe(10);
  });
});
