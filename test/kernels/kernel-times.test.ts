// `mdl kernels --time`: what each kernel is charged (FLOPs from the graph, bytes of the tensors
// it binds) and the timing the runtime does on the adapter. The costs are checked exactly on
// small plans; the timings only for what they must be (one per kernel, positive, shares summing
// to one), never for a speed.
import { describe, expect, it } from 'vitest';
import { summarize } from '../../compiler/analysis/summary.js';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { dispatchCosts } from '../../compiler/kernels/dispatch-costs.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { compileFile } from '../helpers/compile.js';
import { mdl } from '../helpers/cli.js';

const mlp = () => {
  const r = compileFile('examples/mlp.mdl');
  if (!r.graph) throw new Error('mlp did not compile');
  return r.graph;
};

describe('what each kernel is charged', () => {
  it("the MLP's two kernels: every FLOP of the graph, and exactly the tensors each binds", () => {
    const g = mlp();
    const B = 8;
    const plan = planGraph(g, { target: SOFTWARE_TARGET, dims: { B } });
    expect(plan.dispatches).toHaveLength(2);
    const costs = dispatchCosts(g, plan.dispatches, { B });
    expect(costs.reduce((s, c) => s + c.flops, 0)).toBe(summarize(g, { B }).flops);
    // linear(784→256)+relu reads x and its weight and bias, writes h; linear(256→10) reads h
    // and its parameters, writes the logits.
    expect(costs.map(({ read, written }) => ({ read, written }))).toEqual([
      { read: 4 * (B * 784 + 256 * 784 + 256), written: 4 * B * 256 },
      { read: 4 * (B * 256 + 10 * 256 + 10), written: 4 * B * 10 },
    ]);
    expect(costs.map((c) => c.bytes)).toEqual(costs.map((c) => c.read + c.written));
  });

  it('a training step: FLOPs cover the graph; each update writes its parameters, each gradient only itself', () => {
    const g = mlp();
    const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd' } });
    const plan = planGraph(step.graph, {
      target: SOFTWARE_TARGET,
      dims: { B: 4 },
      training: true,
      updates: step.updates,
    });
    const costs = dispatchCosts(step.graph, plan.dispatches, { B: 4 });
    // No node of this step is computed in two kernels, so the kernels' FLOPs are the graph's.
    const named = plan.dispatches.flatMap((d) => d.nodes);
    expect(new Set(named).size).toBe(named.length);
    const inKernels = new Set(named);
    const flops = summarize(step.graph, { B: 4 })
      .layers.filter((l) => inKernels.has(l.name))
      .reduce((s, l) => s + l.flops, 0);
    expect(costs.reduce((s, c) => s + c.flops, 0)).toBe(flops);
    const params = g.params.filter((p) => !p.buffer).reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
    // The update kernels write every parameter exactly once between them (in place).
    const updates = costs.filter((_, i) => plan.dispatches[i]!.name.startsWith('sgd_update'));
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.reduce((s, c) => s + c.written, 0)).toBe(4 * params);
    // The gradients go to one packed buffer; a bias gradient's kernel is charged its bias alone.
    const bias = costs[plan.dispatches.findIndex((d) => d.name === 'net.2.vjp.sum')]!;
    expect(bias).toMatchObject({ read: 4 * 4 * 10, written: 4 * 10 });
  });
});

describe('mdl kernels --time', () => {
  it('times every kernel on the adapter: positive times, shares summing to one, the whole pass', () => {
    const r = mdl('kernels', 'examples/mlp.mdl', '--batch', '8', '--train', '--time', '--reps', '2', '--json');
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      dispatches: { name: string; time: { ms: number; share: number; gflops: number; gbs: number } }[];
      timing: { sumMs: number; passMs: number; reps: number; samples: number };
    };
    expect(out.dispatches.length).toBeGreaterThan(2);
    for (const d of out.dispatches) {
      expect(d.time.ms, d.name).toBeGreaterThan(0);
      expect(d.time.gbs, d.name).toBeGreaterThan(0);
    }
    expect(out.dispatches.reduce((s, d) => s + d.time.share, 0)).toBeCloseTo(1, 9);
    expect(out.dispatches.reduce((s, d) => s + d.time.ms, 0)).toBeCloseTo(out.timing.sumMs, 9);
    expect(out.timing.passMs).toBeGreaterThan(0);
    expect(out.timing.reps).toBe(2);
  });

  it('prints the kernels slowest first, with their place in the plan', () => {
    const r = mdl('kernels', 'examples/mlp.mdl', '--batch', '8', '--time', '--reps', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /each kernel timed alone: median of 5 submits of 1 dispatches; sum [\d.]+ ms, the whole pass/,
    );
    const rows = r.out.split('\n').filter((l) => /^\s+[12]\s{2}/.test(l));
    expect(rows).toHaveLength(2);
    const ms = rows.map((l) => Number(l.trim().split(/\s+/)[3]));
    expect(ms[0]).toBeGreaterThanOrEqual(ms[1]!);
  });

  it('misuse is a usage error', () => {
    const t = mdl('kernels', 'examples/mlp.mdl', '--time', '--target', 'software');
    expect(t.code).toBe(2);
    expect(t.err).toContain('--time runs the kernels on the adapter found here');
    const reps = mdl('kernels', 'examples/mlp.mdl', '--reps', '3');
    expect(reps.code).toBe(2);
    expect(reps.err).toContain('--reps is a setting of --time');
    const zero = mdl('kernels', 'examples/mlp.mdl', '--time', '--reps', '0');
    expect(zero.code).toBe(2);
    expect(zero.err).toContain('--reps must be a positive integer');
  });
});
