// A GEMM operand that is a strided view whose reduction dims do not collapse (a linear layer
// over a transposed tensor: MLP-Mixer's token mixing) is materialised by the planner, not an
// internal error; the step matches the interpreter.
import { describe, expect, it } from 'vitest';
import { buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { graphOf } from '../helpers/compile.js';
import { runBoth } from './harness.js';

describe('strided GEMM operands', () => {
  it('a linear layer over a transposed tensor trains on WebGPU like the interpreter', async () => {
    const g = graphOf(
      `model m(x: Tensor[B, 6, 5]) {\n  u = transpose(x, 1, 2)\n  h = gelu(linear(u, 7) as "tok")\n  return linear(flatten(h), 3) as "fc"\n}\n`,
    );
    const step = buildTrainStep(g, { loss: { kind: 'cross_entropy' }, optimizer: { kind: 'sgd', momentum: 0.9 } });
    const r = await runBoth(step.graph, {
      training: true,
      updates: step.updates,
      classes: 3,
      dims: { B: 4 },
      given: { lr: Float32Array.of(0.1) },
    });
    expect(r.err).toBeLessThan(1e-4);
  });
});
