// Gradient filtering against independent models of what it should compute: on a 1×1 convolution
// (or a linear layer over tokens) it is plain autodiff fed with the patch-averaged output
// gradient; on k×k convolutions it follows the official code's formulas, re-implemented here
// directly from methods.md (pooled gradient, summed input windows, kernel-summed weight).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';
import { maxRelDiff, random, rule, vjpUnder } from './util.js';

/** Mean over r×r patches (padding excluded), broadcast back: the filtered gradient map. */
function patchAverage(g: Tensor, r: number): Tensor {
  const [N, C, H, W] = g.shape as [number, number, number, number];
  const out = new Float64Array(g.data.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let P = 0; P * r < H; P++)
        for (let Q = 0; Q * r < W; Q++) {
          let s = 0;
          let k = 0;
          for (let h = P * r; h < Math.min(H, P * r + r); h++)
            for (let w = Q * r; w < Math.min(W, Q * r + r); w++, k++) s += g.data[((n * C + c) * H + h) * W + w]!;
          for (let h = P * r; h < Math.min(H, P * r + r); h++)
            for (let w = Q * r; w < Math.min(W, Q * r + r); w++) out[((n * C + c) * H + h) * W + w] = s / k;
        }
  return tensor(g.shape, out);
}

describe('grad_filter', () => {
  it('on a 1×1 convolution is autodiff fed with the patch-averaged output gradient (any size, overhanging patches)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 999 }),
        (r, H, W, cin, cout, seed) => {
          const g = graphOf(
            `model m(x: Tensor[2, ${cin}, ${H}, ${W}]) {\n  return conv2d(x, ${cout}, 1) as "conv"\n}\n`,
          );
          const params = initParams(g, seed);
          const x = random([2, cin, H, W], seed, 'x');
          const cot = random([2, cout, H, W], seed, 'cot');
          const filtered = vjpUnder(g, [rule('conv', { kind: 'grad_filter', patch: r, extraTokens: 0 })]);
          const exact = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] });
          const a = run(filtered.graph, { inputs: { x, 'cot:output': cot }, params, training: true }).outputs;
          const b = run(exact.graph, {
            inputs: { x, 'cot:output': patchAverage(cot, r) },
            params,
            training: true,
          }).outputs;
          for (const k of ['grad:input:x', 'grad:conv.weight'])
            expect(maxRelDiff(a.get(k)!, b.get(k)!), k).toBeLessThan(1e-12);
          // the bias gradient stays exact: the unfiltered sum
          const c = run(exact.graph, { inputs: { x, 'cot:output': cot }, params, training: true }).outputs;
          expect(maxRelDiff(a.get('grad:conv.bias')!, c.get('grad:conv.bias')!)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('on k×k convolutions computes the official code formulas', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3),
        fc.constantFrom(3, 5),
        fc.constantFrom(1, 2),
        fc.integer({ min: 4, max: 9 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 999 }),
        (r, k, s, H, depthwise, seed) => {
          const cin = depthwise ? 3 : 2;
          const cout = 3;
          const src = `model m(x: Tensor[2, ${cin}, ${H}, ${H}]) {\n  return conv2d(x, ${cout}, ${k}, stride=${s}, padding=${(k - 1) / 2}, groups=${depthwise ? 3 : 1}) as "conv"\n}\n`;
          const g = graphOf(src);
          const params = initParams(g, seed);
          const x = random([2, cin, H, H], seed, 'x');
          const Ho = Math.floor((H - 1) / s) + 1;
          const cot = random([2, cout, Ho, Ho], seed, 'cot');
          const gg = vjpUnder(g, [rule('conv', { kind: 'grad_filter', patch: r, extraTokens: 0 })]);
          const out = run(gg.graph, { inputs: { x, 'cot:output': cot }, params, training: true }).outputs;
          // The model, loop by loop.
          const P = Math.ceil(Ho / r);
          const w = params.get('conv.weight')!;
          const cpg = depthwise ? 1 : cin;
          const gBar = (n: number, co: number, p: number, q: number) => {
            let t = 0;
            let c = 0;
            for (let i = p * r; i < Math.min(Ho, p * r + r); i++)
              for (let j = q * r; j < Math.min(Ho, q * r + r); j++, c++)
                t += cot.data[((n * cout + co) * Ho + i) * Ho + j]!;
            return t / c;
          };
          const R = r * s;
          const xBar = (n: number, ci: number, p: number, q: number) => {
            let t = 0;
            for (let i = p * R; i < Math.min(H, p * R + R); i++)
              for (let j = q * R; j < Math.min(H, q * R + R); j++) t += x.data[((n * cin + ci) * H + i) * H + j]!;
            return t;
          };
          const wBar = (co: number, ci: number) => {
            let t = 0;
            for (let u = 0; u < k * k; u++) t += w.data[(co * cpg + ci) * k * k + u]!;
            return t;
          };
          const dW = new Float64Array(w.data.length);
          const dx = new Float64Array(x.data.length);
          for (let co = 0; co < cout; co++)
            for (let cj = 0; cj < cpg; cj++) {
              const ci = depthwise ? co : cj;
              let t = 0;
              for (let n = 0; n < 2; n++)
                for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) t += gBar(n, co, p, q) * xBar(n, ci, p, q);
              for (let u = 0; u < k * k; u++) dW[(co * cpg + cj) * k * k + u] = t;
            }
          for (let n = 0; n < 2; n++)
            for (let ci = 0; ci < cin; ci++)
              for (let i = 0; i < H; i++)
                for (let j = 0; j < H; j++) {
                  const p = Math.floor(i / R);
                  const q = Math.floor(j / R);
                  if (p >= P || q >= P) continue;
                  let t = 0;
                  if (depthwise) t = gBar(n, ci, p, q) * wBar(ci, 0);
                  else for (let co = 0; co < cout; co++) t += gBar(n, co, p, q) * wBar(co, ci);
                  dx[((n * cin + ci) * H + i) * H + j] = t;
                }
          expect(maxRelDiff(out.get('grad:conv.weight')!, tensor(w.shape, dW))).toBeLessThan(1e-12);
          expect(maxRelDiff(out.get('grad:input:x')!, tensor(x.shape, dx))).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 12 },
    );
  });
});
