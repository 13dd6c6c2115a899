// The PyTorch gradcheck oracles (test/fixtures/gradcheck, also matched by the interpreter in
// test/autodiff/oracles.test.ts) on WebGPU: each gradient graph compiled to kernels and run in
// float32 with the oracle's parameters, input and labels; the loss, the output and every
// gradient (parameters and input) must match PyTorch's float64 values to 1e-4.
//
// The norm: for each tensor, max|a − b| / max(max|a|, max|b|) (norm-wise, infinity norm), with
// one exception. conv2's bias in cnn_bn_residual feeds train-mode batchnorm, which removes it, so
// its exact gradient is zero and both sides are rounding noise (PyTorch's ~1e-17, float32's
// ~1e-9): a tensor whose oracle values are all below 1e-12 is measured against the largest
// parameter gradient of the network instead, max|a − b| / max over all parameters of max|∂L/∂p|.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildGradient, type LossSpec } from '../../compiler/autodiff/grad.js';
import { relError } from '../../compiler/reference/tensor.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { targetOf } from '../../compiler/kernels/target.js';
import { Executor, type HostArray } from '../../runtime/executor.js';
import { compileFile } from '../helpers/compile.js';
import { FIXTURES, flat, readJson, shapeOf, type Nested } from '../autodiff/util.js';
import { device } from './harness.js';

afterAll(async () => (await device()).device.destroy());

interface OracleOut {
  params: Record<string, Nested>;
  input: Nested;
  labels: Nested;
  float64: { output: Nested; loss: number; input_grad: Nested; grads: Record<string, Nested> };
}

const cases: [string, LossSpec, (labels: Nested) => HostArray][] = [
  ['mlp', { kind: 'mse' }, (l) => Float32Array.from(flat(l))],
  ['cnn_bn_residual', { kind: 'cross_entropy' }, (l) => Int32Array.from(flat(l))],
];

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

describe('PyTorch gradcheck oracles on WebGPU', () => {
  for (const [name, loss, labels] of cases)
    it(`${name}: loss, output and every gradient match PyTorch (float64) to 1e-4`, async () => {
      const out = readJson<OracleOut>(join(FIXTURES, 'gradcheck', `${name}.out.json`));
      const g = compileFile(join(FIXTURES, 'gradcheck', `${name}.mdl`)).graph!;
      const gg = buildGradient(g, { loss, wrtInputs: ['x'] });
      const acq = await device();
      const plan = planGraph(gg.graph, {
        target: targetOf(acq.report),
        dims: { B: shapeOf(out.input)[0]! },
        training: gg.training,
      });
      const params = new Map(Object.entries(out.params).map(([k, v]) => [k, Float32Array.from(flat(v))]));
      expect([...params.keys()].sort()).toEqual(
        g.params
          .filter((p) => !p.buffer)
          .map((p) => p.name)
          .sort(),
      );
      const ex = await Executor.create(acq.device, plan, { params });
      const res = await ex.run({
        inputs: {
          x: Float32Array.from(flat(out.input)),
          [loss.kind === 'mse' ? 'target' : 'labels']: labels(out.labels),
        },
      });
      ex.destroy();
      const want = new Map<string, number[]>([
        ['loss', [out.float64.loss]],
        ['output', flat(out.float64.output)],
        ['grad:input:x', flat(out.float64.input_grad)],
        ...Object.entries(out.float64.grads).map(([p, v]): [string, number[]] => [`grad:${p}`, flat(v)]),
      ]);
      const scale = Math.max(...Object.values(out.float64.grads).map((v) => maxAbs(flat(v))));
      const errs: Record<string, number> = {};
      for (const [k, w] of want) {
        const got = res.get(k)!;
        errs[k] = maxAbs(w) < 1e-12 ? relError(got, w, scale) : relError(got, w);
      }
      console.log(
        `${name} on WebGPU:`,
        Object.entries(errs)
          .map(([k, v]) => `${k} ${v.toExponential(1)}`)
          .join(', '),
      );
      expect(Object.keys(errs).length).toBe(3 + g.params.filter((p) => !p.buffer).length);
      for (const [k, v] of Object.entries(errs)) expect(v, k).toBeLessThan(1e-4);
    });
});
