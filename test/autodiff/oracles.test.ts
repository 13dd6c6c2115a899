// The PyTorch gradcheck oracles (copied from the shared oracles into test/fixtures/gradcheck):
// each network written in .mdl, run with the oracle's float64 parameters, input and labels;
// the loss and every gradient (parameters and input) must match PyTorch's to 1e-9 relative.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildGradient, type LossSpec } from '../../compiler/autodiff/grad.js';
import { initParam } from '../../compiler/reference/init.js';
import { intTensor, relError, type Tensor } from '../../compiler/reference/tensor.js';
import { compileFile } from '../helpers/compile.js';
import { FIXTURES, flat, fromNested, readJson, runGrad, type Nested } from './util.js';

interface OracleOut {
  params: Record<string, Nested>;
  input: Nested;
  labels: Nested;
  float64: { output: Nested; loss: number; input_grad: Nested; grads: Record<string, Nested> };
  float32: { output: Nested; loss: number; input_grad: Nested; grads: Record<string, Nested> };
}

const cases: [string, LossSpec, (labels: Nested) => Tensor][] = [
  ['mlp', { kind: 'mse' }, (l) => fromNested(l)],
  ['cnn_bn_residual', { kind: 'cross_entropy' }, (l) => intTensor([flat(l).length], flat(l))],
];

describe('PyTorch gradcheck oracles', () => {
  for (const [name, loss, labels] of cases)
    it(`${name}: loss and every gradient match PyTorch (float64, 1e-9)`, () => {
      const out = readJson<OracleOut>(join(FIXTURES, 'gradcheck', `${name}.out.json`));
      const r = compileFile(join(FIXTURES, 'gradcheck', `${name}.mdl`));
      expect(r.diagnostics).toEqual([]);
      const g = r.graph!;
      const gg = buildGradient(g, { loss, wrtInputs: ['x'] });
      const params = new Map<string, Tensor>();
      for (const p of g.params) {
        const given = out.params[p.name];
        if (given !== undefined) params.set(p.name, fromNested(given));
        else if (p.buffer)
          params.set(p.name, initParam(p, 0)); // running statistics: zeros and ones
        else throw new Error(`the oracle has no parameter ${p.name}`);
      }
      // every parameter of the oracle is one of the model's
      expect(Object.keys(out.params).sort()).toEqual(
        g.params
          .filter((p) => !p.buffer)
          .map((p) => p.name)
          .sort(),
      );
      const inputs: Record<string, Tensor> = { x: fromNested(out.input) };
      inputs[loss.kind === 'mse' ? 'target' : 'labels'] = labels(out.labels);
      const res = runGrad(gg, params, inputs);
      // Norm-wise relative error, max|a − b| / max(|a|, |b|), with a floor of 1e-6 for gradients
      // that are zero in exact arithmetic: conv2's bias feeds train-mode batchnorm, which
      // removes it, so PyTorch and mdl both give rounding noise of ~1e-17 there.
      const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => relError(a, b, 1e-6);
      const errs: Record<string, number> = {};
      errs['loss'] = Math.abs(res.loss - out.float64.loss) / Math.abs(out.float64.loss);
      errs['output'] = rel(res.outputs.get('output')!.data, flat(out.float64.output));
      errs['input_grad'] = rel(res.inputGrads.get('x')!.data, flat(out.float64.input_grad));
      for (const [p, want] of Object.entries(out.float64.grads)) errs[p] = rel(res.grads.get(p)!.data, flat(want));
      console.log(
        name,
        Object.entries(errs)
          .map(([k, v]) => `${k} ${v.toExponential(2)}`)
          .join(', '),
      );
      for (const [k, v] of Object.entries(errs)) expect(v, k).toBeLessThan(1e-9);
    });
});
