// Whole-model gradients against central finite differences (float64): LeNet-5, ResNet-20
// (train-mode batchnorm, option-A shortcuts) and a reduced ViT-Ti/16 (two encoder blocks of
// width 48; the image stays 224×224, which the model fixes), each with a cross-entropy loss on
// top, a batch of 2 (1 for ViT). Checked on sampled coordinates — in several parameters, the
// largest-gradient coordinate of a random sample — and along one random direction of all
// parameters at once; the largest relative error must stay below 1e-6.
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { INT, type V } from '../../compiler/elaborate/values.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { Stream } from '../../runtime/random/philox.js';
import { intTensor, size, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { compileFile } from '../helpers/compile.js';

const H = 1e-6;
// Along a direction every parameter moves, so ReLU kinks are crossed far more often: a smaller
// step keeps the crossings rare (ResNet-20 has ~300k ReLU units at batch 2), and the loss is
// O(1), so rounding stays ~1e-8 of the derivative.
const HDIR = 1e-8;

function check(file: string, args: [string, number][], batch: number, coords: number): number {
  const r = compileFile(file, { args: new Map<string, V>(args.map(([k, v]) => [k, INT(v)])) });
  expect(r.diagnostics).toEqual([]);
  const g = r.graph!;
  const s = new Stream(11, file);
  const params = initParams(g, 3);
  const xt = g.values[g.inputs[0]!]!.type.shape.map((d) => (typeof d === 'number' ? d : batch));
  const x = tensor(
    xt,
    Array.from({ length: size(xt) }, (_, i) => s.normal(i)),
  );
  const labels = intTensor(
    [batch],
    Array.from({ length: batch }, (_, i) => (3 * i + 1) % 10),
  );
  const inputs = { x, labels };
  const gg = buildGradient(g, { loss: { kind: 'cross_entropy' } });
  const lossOnly = buildGradient(g, { loss: { kind: 'cross_entropy' }, params: false }).graph;
  const res = run(gg.graph, { inputs, params, training: true }).outputs;
  const lossAt = (ps: Map<string, Tensor>) =>
    run(lossOnly, { inputs, params: ps, training: true }).outputs.get('loss')!.data[0]!;
  const perturbed = (name: string, delta: (i: number) => number) => {
    const ps = new Map(params);
    const t = params.get(name)!;
    ps.set(name, { shape: t.shape, data: Float64Array.from(t.data, (v, i) => v + delta(i)) });
    return ps;
  };
  const errs: string[] = [];
  let worst = 0;
  // sampled coordinates
  const names = [...gg.grads.keys()];
  for (let k = 0; k < coords; k++) {
    const name = names[Math.floor(s.uniform(1000 + k) * names.length)]!;
    const grad = res.get(`grad:${name}`)!.data;
    let j = 0;
    for (let t = 0; t < 8; t++) {
      const c = Math.floor(s.uniform(2000 + 8 * k + t) * grad.length);
      if (Math.abs(grad[c]!) > Math.abs(grad[j]!)) j = c;
    }
    const fd =
      (lossAt(perturbed(name, (i) => (i === j ? H : 0))) - lossAt(perturbed(name, (i) => (i === j ? -H : 0)))) /
      (2 * H);
    const e = Math.abs(fd - grad[j]!) / Math.max(Math.abs(fd), Math.abs(grad[j]!), 1e-8);
    worst = Math.max(worst, e);
    errs.push(`${name}[${j}] ${grad[j]!.toExponential(3)} fd ${fd.toExponential(3)} rel ${e.toExponential(1)}`);
  }
  // one random direction v over all trained parameters: (L(θ + hv) − L(θ − hv))/2h = ⟨∇L, v⟩
  const dir = new Map<string, Float64Array>();
  let dot = 0;
  let pi = 0;
  for (const name of names) {
    const t = params.get(name)!;
    const v = Float64Array.from(t.data, (_, i) => s.normal(10_000_000 * (1 + pi) + i));
    pi++;
    dir.set(name, v);
    const grad = res.get(`grad:${name}`)!.data;
    for (let i = 0; i < v.length; i++) dot += v[i]! * grad[i]!;
  }
  const along = (h: number) => {
    const ps = new Map(params);
    for (const [name, v] of dir)
      ps.set(name, {
        shape: params.get(name)!.shape,
        data: Float64Array.from(params.get(name)!.data, (p, i) => p + h * v[i]!),
      });
    return lossAt(ps);
  };
  const fdDir = (along(HDIR) - along(-HDIR)) / (2 * HDIR);
  const eDir = Math.abs(fdDir - dot) / Math.max(Math.abs(fdDir), Math.abs(dot));
  worst = Math.max(worst, eDir);
  errs.push(`direction ⟨∇L, v⟩ ${dot.toExponential(4)} fd ${fdDir.toExponential(4)} rel ${eDir.toExponential(1)}`);
  if (process.env['MDL_FD_REPORT']) console.log(`${file} (loss ${res.get('loss')!.data[0]}):\n  ${errs.join('\n  ')}`);
  return worst;
}

describe('whole-model gradients against finite differences (float64)', () => {
  it('lenet5', () => expect(check('examples/lenet5.mdl', [], 2, 10)).toBeLessThan(1e-6));
  it('resnet20 (train-mode batchnorm)', () => expect(check('examples/resnet20.mdl', [], 2, 8)).toBeLessThan(1e-6));
  it('vit_ti16, two blocks of width 48', () =>
    expect(
      check(
        'examples/vit_ti16.mdl',
        [
          ['depth', 2],
          ['dim', 48],
          ['heads', 3],
          ['num_classes', 10],
        ],
        1,
        8,
      ),
    ).toBeLessThan(1e-6));
  it('the patch-token network of the rewrite experiment (adapt.mdl), two blocks of width 16', () =>
    expect(
      check(
        'examples/adapt.mdl',
        [
          ['depth', 2],
          ['dim', 16],
        ],
        2,
        10,
      ),
    ).toBeLessThan(1e-6));
});
