// The paper's link between the dropout rate and the Rashomon parameter, checked by Monte Carlo
// on linear regression: Bernoulli dropout of the inputs with rate p raises the expected mean
// squared error by (p/(1−p))·Σ_j w_j²·mean_i(x_ij²). The inputs pass through an identity linear
// layer, the one layer the noise is put on, so the exploration's own pass, noise and driver are
// what is measured.
import { describe, expect, it } from 'vitest';
import { graphOf } from '../helpers/compile.js';
import { inferenceDropout } from '../../compiler/rashomon/pass.js';
import { Explorer } from '../../compiler/drivers/rashomon/explorer.js';
import { Stream } from '../../runtime/random/philox.js';

const D = 6;
const N = 150;
const MODELS = 400;

describe('linear regression under Bernoulli dropout', () => {
  it('raises the mean loss by (p/(1−p))·Σ w_j²·mean(x_j²), within 3 standard errors', async () => {
    const g = graphOf(`model lin(x: Tensor[B, ${D}]) {
  h = linear(x, ${D}, bias=false) as "inputs"
  return linear(h, 1, bias=false) as "w"
}`);
    const { noised } = inferenceDropout(g, 'bernoulli', { kind: 'glob', pattern: 'inputs' });
    expect(noised!.layers).toEqual(['inputs']);
    const s = new Stream(11, 'linear-regression');
    const w = Float32Array.from({ length: D }, (_, j) => s.normal(j) * (1 + j / 2));
    const scale = Array.from({ length: D }, (_, j) => 0.5 + j / 3);
    const x = Float32Array.from({ length: N * D }, (_, k) => s.normal(100 + k) * scale[k % D]!);
    const t = Float64Array.from({ length: N }, (_, i) => {
      let y = 0.3 * s.normal(10_000 + i);
      for (let j = 0; j < D; j++) y += w[j]! * x[i * D + j]!;
      return y;
    });
    const identity = new Float32Array(D * D);
    for (let j = 0; j < D; j++) identity[j * D + j] = 1;
    const mse = (pred: Float32Array) => {
      let l = 0;
      for (let i = 0; i < N; i++) l += (t[i]! - pred[i]!) ** 2;
      return l / N;
    };
    for (const p of [0.1, 0.3]) {
      const ex = await Explorer.create({
        noised: noised!,
        kind: 'bernoulli',
        params: new Map([
          ['inputs.weight', identity],
          ['w.weight', w],
        ]),
        data: { x, labels: new Int32Array(N), count: N, sampleShape: [D], classes: 1 },
        seed: 5,
        rows: 4096,
        backend: 'reference',
      });
      let base = 0;
      await ex.evaluate([{ model: 0, rate: 0 }], (_, __, pred) => void (base = mse(pred)));
      const deltas: number[] = [];
      await ex.evaluate(
        Array.from({ length: MODELS }, (_, k) => ({ model: 1 + k, rate: p })),
        (_, __, pred) => void deltas.push(mse(pred) - base),
      );
      ex.dispose();
      const mean = deltas.reduce((a, b) => a + b, 0) / MODELS;
      const sd = Math.sqrt(deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / (MODELS - 1));
      let expected = 0;
      for (let j = 0; j < D; j++) {
        let m2 = 0;
        for (let i = 0; i < N; i++) m2 += x[i * D + j]! ** 2;
        expected += w[j]! ** 2 * (m2 / N);
      }
      expected *= Math.fround(p) / (1 - Math.fround(p));
      expect(Math.abs(mean - expected), `p = ${p}: ${mean} against ${expected} (sd ${sd})`).toBeLessThan(
        (3 * sd) / Math.sqrt(MODELS),
      );
    }
  }, 60_000);
});
