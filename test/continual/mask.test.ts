// The unseen-class logit mask: in training, classes the stream has not brought take no
// probability and their head rows get no gradient; seen classes train as without the mask.
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { intTensor } from '../../compiler/reference/tensor.js';
import { CLASS_MASK, maskLogits, maskValues } from '../../compiler/drivers/continual/mask.js';
import { graphOf } from '../helpers/compile.js';
import { random } from '../rewrites/util.js';

const g = graphOf(`model m(x: Tensor[B, 6]) {\n  return linear(gelu(linear(x, 8) as "fc"), 5) as "head"\n}\n`);

describe('unseen-class mask', () => {
  it('gives the head rows of unseen classes a zero gradient, and seen ones a nonzero one', () => {
    const gg = buildGradient(maskLogits(g), { loss: { kind: 'cross_entropy' } });
    const params = initParams(gg.graph, 1);
    const seen = new Set([0, 2]);
    const mask = maskValues(5, seen);
    const r = run(gg.graph, {
      inputs: {
        x: random([4, 6], 2, 'x'),
        labels: intTensor([4], [0, 2, 2, 0]),
        [CLASS_MASK]: { shape: [5], data: Float64Array.from(mask) },
      },
      params,
      training: true,
    });
    const gw = r.outputs.get('grad:head.weight')!.data;
    for (let c = 0; c < 5; c++) {
      const row = Array.from(gw.slice(c * 8, (c + 1) * 8)).map(Math.abs);
      if (seen.has(c)) expect(Math.max(...row)).toBeGreaterThan(1e-6);
      else expect(Math.max(...row)).toBeLessThan(1e-12);
    }
    // the masked logits keep the seen classes' values
    const unmasked = run(g, { inputs: { x: random([4, 6], 2, 'x') }, params, training: false }).outputs.get('output')!;
    const masked = r.outputs.get('output')!;
    expect(masked.data[0]).toBeCloseTo(unmasked.data[0]!, 12);
    expect(masked.data[1]).toBeLessThan(-9000);
  });
});
