// PyTorch 1.13 oracles of single ops (test/fixtures/torch/ops.json, written by generate.py
// there): each case's mdl model run on the reference interpreter in float64 with PyTorch's
// input and parameters must give PyTorch's output, and the gradient graph autodiff builds,
// fed PyTorch's output cotangent, PyTorch's input and parameter gradients (1e-10 relative,
// norm-wise).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { getOp } from '../../compiler/ops/registry.js';
import { relError, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';
import { FIXTURES, readJson, runGrad } from './util.js';

interface Data {
  shape: number[];
  data: number[];
}

interface Case {
  name: string;
  mdl: string;
  input: Data;
  params: Record<string, Data>;
  cotangent: Data;
  output: Data;
  grads: Record<string, Data>;
}

const CASES = readJson<{ torch: string; cases: Case[] }>(join(FIXTURES, 'torch', 'ops.json')).cases;
const t = (d: Data): Tensor => tensor(d.shape, d.data, 'f64');

describe('single ops against PyTorch (float64)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(getOp(c.name.split(':')[0]!), 'the op of the case').toBeDefined();
      const g = graphOf(c.mdl);
      expect(g.params.map((p) => p.name).sort()).toEqual(Object.keys(c.params).sort());
      const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'], training: true });
      const params = new Map(Object.entries(c.params).map(([k, v]) => [k, t(v)] as const));
      const r = runGrad(gg, params, { x: t(c.input), 'cot:output': t(c.cotangent) });
      const out = r.outputs.get('output')!;
      expect(out.shape).toEqual(c.output.shape);
      expect(relError(out.data, c.output.data, 1e-12), 'output').toBeLessThan(1e-10);
      expect(relError(r.inputGrads.get('x')!.data, c.grads['input']!.data, 1e-12), 'input gradient').toBeLessThan(
        1e-10,
      );
      for (const p of Object.keys(c.params))
        expect(relError(r.grads.get(p)!.data, c.grads[p]!.data, 1e-12), p).toBeLessThan(1e-10);
    });
  }
});
