// Activations with numeric parameters (leaky_relu's slope, elu's alpha), end to end: bound from
// .mdl source, evaluated by the reference interpreter against their closed forms with PyTorch's
// conventions, differentiated through act_grad nodes that carry the parameter, and run as WGSL.
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { run } from '../../compiler/interp/interpreter.js';
import { printGraph } from '../../compiler/ir/print.js';
import { defaultAttrs } from '../../compiler/ops/registry.js';
import { tensor } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';
import { device, runBoth } from '../kernels/harness.js';

const xs = [-3, -1, -0.25, 0, 0.25, 1, 3];

interface Case {
  readonly call: string;
  readonly f: (x: number) => number;
  /** f′ with PyTorch's convention at 0 (its backward takes the x ≤ 0 branch). */
  readonly df: (x: number) => number;
  readonly param: string;
}

const CASES: readonly Case[] = [
  {
    call: 'leaky_relu(x, negative_slope=0.2)',
    f: (x) => (x > 0 ? x : 0.2 * x),
    df: (x) => (x > 0 ? 1 : 0.2),
    param: 'params=[0.2]',
  },
  {
    call: 'leaky_relu(x)',
    f: (x) => (x > 0 ? x : 0.01 * x),
    df: (x) => (x > 0 ? 1 : 0.01),
    param: 'params=[0.01]',
  },
  {
    call: 'elu(x, alpha=0.5)',
    f: (x) => (x > 0 ? x : 0.5 * (Math.exp(x) - 1)),
    df: (x) => (x > 0 ? 1 : 0.5 * Math.exp(x)),
    param: 'params=[0.5]',
  },
  {
    call: 'elu(x)',
    f: (x) => (x > 0 ? x : Math.exp(x) - 1),
    df: (x) => (x > 0 ? 1 : Math.exp(x)),
    param: 'params=[1]',
  },
];

const model = (call: string) => `model m(x: Tensor[B, ${xs.length}]) {\n  return ${call}\n}\n`;

describe('parametric activations', () => {
  afterAll(async () => (await device()).device.destroy());

  for (const c of CASES) {
    it(`${c.call}: value and derivative on the reference interpreter, PyTorch's conventions`, () => {
      const g = graphOf(model(c.call));
      const x = tensor([1, xs.length], xs);
      const y = run(g, { inputs: { x }, params: new Map() }).outputs.get('output')!;
      expect([...y.data]).toEqual(xs.map(c.f));

      const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] });
      expect(printGraph(gg.graph, { defaults: defaultAttrs })).toContain(c.param);
      const ones = tensor(
        [1, xs.length],
        xs.map(() => 1),
      );
      const dx = run(gg.graph, { inputs: { x, 'cot:output': ones }, params: new Map() }).outputs.get('grad:input:x')!;
      expect([...dx.data]).toEqual(xs.map(c.df));
    });

    it(`${c.call}: WebGPU forward and backward equal the interpreter`, async () => {
      const g = graphOf(model(`linear(${c.call.replace('(x', '(linear(x, 8)')}, 3)`));
      const gg = buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true });
      const r = await runBoth(gg.graph, { dims: { B: 5 }, classes: 3, randomParams: true });
      expect(r.err).toBeLessThan(1e-5);
    });
  }
});
