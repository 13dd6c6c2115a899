// A whole training step — forward, loss, backward, optimizer update — as one plan run in one
// command encoder, against the interpreter running the same training-step graph: the loss, the
// gradients and the updated parameters (written in place into the parameters' own buffers).
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../helpers/compile.js';
import { buildTrainStep, type OptimizerSpec } from '../../compiler/autodiff/optimizer.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { device, runBoth, stepErrors, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

function step(name: string, optimizer: OptimizerSpec) {
  const g = compileFile(`examples/${name}.mdl`).graph!;
  return buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer });
}

describe('a training step on WebGPU matches the interpreter', () => {
  const cases: [string, OptimizerSpec, number][] = [
    ['mlp', { kind: 'sgd', momentum: 0.9 }, 1e-4],
    ['lenet5', { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 }, 1e-4],
    ['mlp', { kind: 'adam' }, 1e-3],
    // no momentum: no state, the update reads a zero constant (one literal for the whole group)
    ['lenet5', { kind: 'sgd' }, 1e-4],
    ['lenet5', { kind: 'adamw', weightDecay: 0.01 }, 1e-3],
  ];
  for (const [name, optimizer, tol] of cases)
    it(`${name} with ${optimizer.kind}${'momentum' in optimizer ? ' and momentum' : ''}`, async () => {
      const ts = step(name, optimizer);
      const r = await runBoth(ts.graph, {
        dims: { B: 2 },
        training: true,
        classes: 10,
        updates: ts.updates,
        given: { lr: new Float32Array([0.05]) },
        step: 2,
      });
      const msg = show(r.plan);
      for (const [name, err] of stepErrors(r, ts.updates)) expect(err, `${name}\n${msg}`).toBeLessThan(tol);
      r.executor.destroy();
    });
});

describe('training-step kernel counts', () => {
  // Forward kernels store what the backward reads (a layer's output before its activation) in the
  // same kernel; the optimizer updates every parameter in one kernel (LeNet-5: 25 + 1).
  const cases: [string, number][] = [
    ['mlp', 10],
    ['lenet5', 26],
  ];
  for (const [name, count] of cases)
    it(`${name}: one SGD-with-momentum step compiles to ${count} kernels`, () => {
      const ts = step(name, { kind: 'sgd', momentum: 0.9 });
      const plan = planGraph(ts.graph, {
        target: SOFTWARE_TARGET,
        dims: { B: 2 },
        training: true,
        updates: ts.updates,
      });
      expect(plan.dispatches.length, show(plan)).toBe(count);
    });
});
