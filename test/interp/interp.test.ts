// The reference interpreter: its random streams, PyTorch-default initialisation, batchnorm's
// modes and running statistics, dropout, float32 rounding, the optimizer updates, and errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { applyStep, buildTrainStep } from '../../compiler/autodiff/optimizer.js';
import { initParams, initTensor, leakyReluGain } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { dropoutMask, philox4x32, Stream } from '../../runtime/random/philox.js';
import { intTensor, relError, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';
import { FIXTURES, flat, fromNested, readJson, type Nested } from '../autodiff/util.js';

const hex = (w: number[]) => w.map((x) => x.toString(16).padStart(8, '0')).join(' ');
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const std = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(Array.from(a).reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
};

describe('counter-based random streams', () => {
  it('Philox4x32-10 reproduces the Random123 known-answer vectors', () => {
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    const f = 0xffffffff;
    expect(hex(philox4x32(f, f, f, f, f, f))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toBe(
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    );
  });

  it('Philox4x32-10 agrees with a BigInt transcription of the rounds on any counter and key', () => {
    // The generator splits each 64-bit product into exact double-precision parts; the oracle
    // multiplies in BigInt, so a lost carry in the high word would show on some input.
    const oracle = (c: number[], k: number[]): number[] => {
      let [x0, x1, x2, x3] = c.map(BigInt) as [bigint, bigint, bigint, bigint];
      let [k0, k1] = k.map(BigInt) as [bigint, bigint];
      const m = 0xffffffffn;
      for (let r = 0; r < 10; r++) {
        const p0 = 0xd2511f53n * x0;
        const p1 = 0xcd9e8d57n * x2;
        [x0, x1, x2, x3] = [((p1 >> 32n) ^ x1 ^ k0) & m, p1 & m, ((p0 >> 32n) ^ x3 ^ k1) & m, p0 & m];
        k0 = (k0 + 0x9e3779b9n) & m;
        k1 = (k1 + 0xbb67ae85n) & m;
      }
      return [x0, x1, x2, x3].map(Number);
    };
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.array(u32, { minLength: 6, maxLength: 6 }), (w) => {
        expect(philox4x32(w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!)).toEqual(oracle(w.slice(0, 4), w.slice(4)));
      }),
      { numRuns: 300 },
    );
  });

  it('uniforms lie in [0, 1) with the right moments; normals have mean 0 and std 1', () => {
    const s = new Stream(5, 'x');
    const u = Array.from({ length: 20000 }, (_, i) => s.uniform(i));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 2);
    const z = Array.from({ length: 20000 }, (_, i) => s.normal(i));
    expect(mean(z)).toBeCloseTo(0, 1);
    expect(std(z)).toBeCloseTo(1, 1);
  });
});

describe('parameter initialisation (PyTorch defaults, deterministic per seed)', () => {
  const g = graphOf(
    'model m(x: Tensor[B, 3, 8, 8]) {\n  h = conv2d(x, 16, 3) as "conv"\n  h = batchnorm2d(h) as "bn"\n  return linear(flatten(h), 10) as "fc"\n}',
  );

  it('conv and linear: kaiming-uniform with a = √5, i.e. U(±1/√fan_in); bias U(±1/√fan_in)', () => {
    expect(leakyReluGain(Math.sqrt(5)) * Math.sqrt(3)).toBeCloseTo(1, 12);
    const p = initParams(g, 0);
    for (const [name, fanIn] of [
      ['conv.weight', 27],
      ['conv.bias', 27],
      ['fc.weight', 16 * 6 * 6],
      ['fc.bias', 16 * 6 * 6],
    ] as const) {
      const d = p.get(name)!.data;
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...Array.from(d, Math.abs)), name).toBeLessThanOrEqual(bound);
      if (d.length > 1000) expect(std(d) / (bound / Math.sqrt(3)), name).toBeCloseTo(1, 1);
    }
    expect(Array.from(p.get('bn.weight')!.data)).toEqual(Array(16).fill(1));
    expect(Array.from(p.get('bn.bias')!.data)).toEqual(Array(16).fill(0));
    expect(Array.from(p.get('bn.running_var')!.data)).toEqual(Array(16).fill(1));
  });

  it('the same seed gives the same values; another seed others; a value depends on the name, not the order', () => {
    const a = initParams(g, 1);
    const b = initParams(g, 1);
    const c = initParams(g, 2);
    expect(Array.from(b.get('fc.weight')!.data)).toEqual(Array.from(a.get('fc.weight')!.data));
    expect(Array.from(c.get('fc.weight')!.data)).not.toEqual(Array.from(a.get('fc.weight')!.data));
    const init = g.params.find((p) => p.name === 'fc.weight')!.init;
    expect(Array.from(initTensor(init, [10, 576], 1, 'fc.weight').data)).toEqual(Array.from(a.get('fc.weight')!.data));
  });

  it('normal, trunc_normal (within ±2σ) and kaiming_normal have their moments', () => {
    const n = initTensor({ kind: 'normal', mean: 1, std: 0.5 }, [20000], 3, 'n').data;
    expect(mean(n)).toBeCloseTo(1, 1);
    expect(std(n)).toBeCloseTo(0.5, 1);
    const t = initTensor({ kind: 'trunc_normal', std: 0.02, a: -0.04, b: 0.04 }, [20000], 3, 't').data;
    expect(Math.max(...Array.from(t, Math.abs))).toBeLessThanOrEqual(0.04);
    expect(std(t) / 0.02).toBeCloseTo(0.88, 1); // the std of a standard normal truncated to ±2
    const k = initTensor({ kind: 'kaiming_normal', fanOut: 50 }, [20000], 3, 'k').data;
    expect(std(k)).toBeCloseTo(Math.sqrt(2 / 50), 2);
  });

  it('float32 initialisation is the float64 one rounded', () => {
    const a = initParams(g, 4, 'f64').get('fc.weight')!.data;
    const b = initParams(g, 4, 'f32').get('fc.weight')!.data;
    expect(b).toBeInstanceOf(Float32Array);
    expect(Array.from(b)).toEqual(Array.from(a, Math.fround));
  });
});

describe('batchnorm2d modes', () => {
  const g = graphOf('model m(x: Tensor[B, 2, 2, 2]) {\n  return batchnorm2d(x, momentum=0.1) as "bn"\n}');
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, -1, 0, 2, 4, 3, 3, 3, 9];
  const x = tensor([2, 2, 2, 2], xs);
  const chan = (c: number) => [0, 1].flatMap((n) => xs.slice(n * 8 + c * 4, n * 8 + c * 4 + 4));

  it('training normalises with the batch statistics and updates the running ones (unbiased variance, momentum)', () => {
    const params = initParams(g, 0);
    const r = run(g, { inputs: { x }, params, training: true });
    for (const c of [0, 1]) {
      const v = chan(c);
      const m = mean(v);
      const biased = v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length;
      const unbiased = (biased * v.length) / (v.length - 1);
      expect(r.buffers.get('bn.running_mean')!.data[c]).toBeCloseTo(0.9 * 0 + 0.1 * m, 12);
      expect(r.buffers.get('bn.running_var')!.data[c]).toBeCloseTo(0.9 * 1 + 0.1 * unbiased, 12);
      const y = r.outputs.get('output')!.data;
      expect(y[c * 4]).toBeCloseTo((v[0]! - m) / Math.sqrt(biased + 1e-5), 10);
    }
  });

  it('inference normalises with the running statistics and updates nothing', () => {
    const params = initParams(g, 0);
    params.set('bn.running_mean', tensor([2], [1, -1]));
    params.set('bn.running_var', tensor([2], [4, 9]));
    const r = run(g, { inputs: { x }, params });
    expect(r.buffers.size).toBe(0);
    expect(r.outputs.get('output')!.data[0]).toBeCloseTo((1 - 1) / Math.sqrt(4 + 1e-5), 12);
    expect(r.outputs.get('output')!.data[4]).toBeCloseTo((5 + 1) / Math.sqrt(9 + 1e-5), 12);
  });
});

describe('dropout', () => {
  const g = graphOf('model m(x: Tensor[B, 1000]) {\n  return dropout(x, 0.3) as "drop"\n}');
  const x = tensor([2, 1000], Array(2000).fill(1));

  it('training zeroes about p of the elements and scales the rest by 1/(1−p); inference is the identity', () => {
    const y = run(g, { inputs: { x }, params: new Map(), training: true, seed: 3 }).outputs.get('output')!.data;
    const kept = Array.from(y).filter((v) => v !== 0);
    expect(kept.length / 2000).toBeGreaterThan(0.65);
    expect(kept.length / 2000).toBeLessThan(0.75);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.7, 12);
    expect(Array.from(run(g, { inputs: { x }, params: new Map() }).outputs.get('output')!.data)).toEqual(
      Array(2000).fill(1),
    );
  });

  it('the mask is a function of (seed, node name, step), and the backward pass regenerates it', () => {
    const at = (seed: number, step: number) =>
      Array.from(run(g, { inputs: { x }, params: new Map(), training: true, seed, step }).outputs.get('output')!.data);
    expect(at(3, 0)).toEqual(at(3, 0));
    expect(at(3, 0)).not.toEqual(at(4, 0));
    expect(at(3, 0)).not.toEqual(at(3, 1));
    expect(at(3, 5)).toEqual(Array.from(dropoutMask(2000, 0.3, 3, 'drop', 5)));
    const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] });
    const r = run(gg.graph, { inputs: { x, 'cot:output': x }, params: new Map(), training: true, seed: 3, step: 5 });
    expect(Array.from(r.outputs.get('grad:input:x')!.data)).toEqual(at(3, 5));
  });
});

describe('float32 runs', () => {
  interface Out {
    params: Record<string, Nested>;
    input: Nested;
    labels: Nested;
    float32: { loss: number; output: Nested; input_grad: Nested; grads: Record<string, Nested> };
  }
  it('round every stored value to float32 and agree with PyTorch float32 on the gradcheck oracles', () => {
    for (const name of ['mlp', 'cnn_bn_residual']) {
      const out = readJson<Out>(join(FIXTURES, 'gradcheck', `${name}.out.json`));
      const g = graphOf(readFileSync(join(FIXTURES, 'gradcheck', `${name}.mdl`), 'utf8'));
      const ce = name !== 'mlp';
      const gg = buildGradient(g, { loss: ce ? { kind: 'cross_entropy' } : { kind: 'mse' }, wrtInputs: ['x'] });
      const params = initParams(g, 0, 'f32');
      for (const [k, v] of Object.entries(out.params)) params.set(k, fromNested(v, 'f32'));
      const inputs: Record<string, Tensor> = { x: fromNested(out.input, 'f32') };
      if (ce) inputs['labels'] = intTensor([2], flat(out.labels));
      else inputs['target'] = fromNested(out.labels, 'f32');
      const r = run(gg.graph, { inputs, params, precision: 'f32', training: true }).outputs;
      for (const t of r.values()) if (!(t.data instanceof Int32Array)) expect(t.data).toBeInstanceOf(Float32Array);
      const lossErr = Math.abs(r.get('loss')!.data[0]! - out.float32.loss) / out.float32.loss;
      expect(lossErr).toBeLessThan(1e-6);
      let worst = relError(r.get('grad:input:x')!.data, flat(out.float32.input_grad), 1e-3);
      for (const [k, want] of Object.entries(out.float32.grads)) {
        const e = relError(r.get(`grad:${k}`)!.data, flat(want), 1e-3);
        worst = Math.max(worst, e);
        expect(e, `${name} ${k}`).toBeLessThan(1e-5);
      }
      expect(worst).toBeLessThan(1e-5);
      if (process.env['MDL_FD_REPORT'])
        console.log(
          `${name} float32 vs PyTorch float32: loss ${lossErr.toExponential(1)}, gradients ≤ ${worst.toExponential(1)}`,
        );
    }
  });
});

describe('optimizer updates', () => {
  const g = graphOf('model m(x: Tensor[B, 2]) {\n  return linear(x, 1, bias=false) as "fc"\n}');
  const x = tensor([1, 2], [1, 2]);
  const target = tensor([1, 1], [0]);
  // loss = (w·x)², gradient 2(w·x)·x
  const gradAt = (w: number[]) => [2 * (w[0]! + 2 * w[1]!) * 1, 2 * (w[0]! + 2 * w[1]!) * 2];

  it('sgd_update follows torch.optim.SGD (momentum, Nesterov, weight decay) over two steps', () => {
    for (const nesterov of [false, true]) {
      const step = buildTrainStep(g, {
        loss: { kind: 'mse' },
        optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 0.01, nesterov },
      });
      let params = initParams(step.graph, 0);
      params.set('fc.weight', tensor([1, 2], [0.5, -0.25]));
      let w = [0.5, -0.25];
      let buf = [0, 0];
      for (let t = 0; t < 2; t++) {
        const r = run(step.graph, { inputs: { x, target, lr: tensor([], [0.1]) }, params, training: true, step: t });
        params = applyStep(step, params, r.outputs, r.buffers);
        const gr = gradAt(w).map((gi, i) => gi + 0.01 * w[i]!);
        buf = buf.map((b, i) => 0.9 * b + gr[i]!);
        const d = nesterov ? gr.map((gi, i) => gi + 0.9 * buf[i]!) : buf;
        w = w.map((wi, i) => wi - 0.1 * d[i]!);
      }
      expect(Array.from(params.get('fc.weight')!.data)[0]).toBeCloseTo(w[0]!, 14);
      expect(Array.from(params.get('fc.weight')!.data)[1]).toBeCloseTo(w[1]!, 14);
      expect(Array.from(params.get('fc.weight@momentum_buffer')!.data)[1]).toBeCloseTo(buf[1]!, 14);
    }
  });

  it('adam_update follows torch.optim.Adam and AdamW (bias correction by the run step) over three steps', () => {
    for (const kind of ['adam', 'adamw'] as const) {
      const step = buildTrainStep(g, { loss: { kind: 'mse' }, optimizer: { kind, weightDecay: 0.1 } });
      let params = initParams(step.graph, 0);
      params.set('fc.weight', tensor([1, 2], [0.5, -0.25]));
      let w = [0.5, -0.25];
      let m = [0, 0];
      let v = [0, 0];
      for (let t = 0; t < 3; t++) {
        const r = run(step.graph, { inputs: { x, target, lr: tensor([], [0.01]) }, params, training: true, step: t });
        params = applyStep(step, params, r.outputs, r.buffers);
        let gr = gradAt(w);
        if (kind === 'adamw') w = w.map((wi) => wi * (1 - 0.01 * 0.1));
        else gr = gr.map((gi, i) => gi + 0.1 * w[i]!);
        m = m.map((mi, i) => 0.9 * mi + 0.1 * gr[i]!);
        v = v.map((vi, i) => 0.999 * vi + 0.001 * gr[i]! ** 2);
        w = w.map(
          (wi, i) => wi - (0.01 * (m[i]! / (1 - 0.9 ** (t + 1)))) / (Math.sqrt(v[i]! / (1 - 0.999 ** (t + 1))) + 1e-8),
        );
      }
      const got = Array.from(params.get('fc.weight')!.data);
      expect(got[0]).toBeCloseTo(w[0]!, 13);
      expect(got[1]).toBeCloseTo(w[1]!, 13);
      expect(step.state.get('fc.weight')).toEqual(['fc.weight@exp_avg', 'fc.weight@exp_avg_sq']);
    }
  });
});

describe('interpreter errors', () => {
  const g = graphOf('model m(x: Tensor[B, 4]) {\n  return linear(x, 2) as "fc"\n}');
  const params = initParams(g, 0);
  it('names a missing input, a wrong shape and a missing parameter', () => {
    expect(() => run(g, { inputs: {}, params })).toThrow(/no value for input `x`/);
    expect(() => run(g, { inputs: { x: tensor([2, 3], [1, 2, 3, 4, 5, 6]) }, params })).toThrow(
      /input `x` has shape \[2, 3\], expected \[B, 4\]/,
    );
    expect(() => run(g, { inputs: { x: tensor([1, 4], [1, 2, 3, 4]) }, params: new Map() })).toThrow(
      /no value for parameter `fc.weight`/,
    );
    expect(() => run(g, { inputs: { x: intTensor([1, 4], [1, 2, 3, 4]) }, params })).toThrow(/input `x` is f32/);
  });
  it('binds symbolic dims from the inputs', () => {
    const r = run(g, { inputs: { x: tensor([3, 4], Array(12).fill(1)) }, params });
    expect(r.dims).toEqual({ B: 3 });
    expect(r.outputs.get('output')!.shape).toEqual([3, 2]);
  });
});
