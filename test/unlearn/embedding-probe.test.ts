// The diagnostics of teacher–student unlearning, on a tiny masked autoencoder run by the float64
// interpreter: the embedding probe's distances (drift exactly 0 when the student is the teacher;
// the distance to the noise embeddings equal to one computed from the model's own `norm` output
// on the images and on their noise batches), and the reconstruction scorer fed the noise images
// (its error compares the decoder's output on the noise embeddings with the images).
import { describe, expect, it } from 'vitest';
import { ReferenceProxyBackend } from '../../compiler/drivers/proxies/backend.js';
import { embeddingDistances, noiseBatch } from '../../compiler/drivers/unlearn/embedding-probe.js';
import { reconstructionScorer } from '../../compiler/drivers/unlearn/reconstruction.js';
import { gatherImages } from '../../compiler/drivers/unlearn/teacher-student.js';
import { run } from '../../compiler/interp/interpreter.js';
import { initParams } from '../../compiler/reference/init.js';
import { tensor } from '../../compiler/reference/tensor.js';
import { teacherStudent } from '../../compiler/unlearn/teacher-student.js';
import { makeDataset } from '../../runtime/data/dataset.js';
import { graphOf } from '../helpers/compile.js';
import { rng } from '../kernels/harness.js';

// Four 4×4 patches of an 8×8 image, two kept; a decoder whose attention block lets the
// predictions of removed patches depend on the embeddings of the kept ones.
const TINY = `
import "std/mae"
import "std/attention"
model tiny(x: Tensor[B, 1, 8, 8]) {
  t = transpose(flatten(conv2d(x, 8, 4, stride=4) as "embed", 2), 1, 2)
  kept, mask, restore = random_masking(t, 2) as "masking"
  h = layernorm(relu(linear(kept, 8) as "enc"), eps=1e-6) as "norm"
  full = gather(concat([h, expand(param([1, 1, 8], init="normal", std=0.02) as "mask_token", [B, 2, -1])], axis=1), restore)
  pred = linear(encoder_block(full, 2, 16) as "mix", 16) as "dec"
  diff = pred - patchify(x, 4)
  loss = sum(mean(diff * diff, [2]) * mask, [0, 1]) / sum(mask, [0, 1])
  return loss, pred, mask
}
`;
const CLASSIFIER = `
model cls(x: Tensor[B, 1, 8, 8]) {
  h = relu(linear(flatten(x, 1), 3) as "fc1")
  return linear(h, 2) as "fc2"
}
`;
const BATCH = 4;
const COUNT = 8;
const norm = { mean: [0.4], std: [0.3] };

function setup() {
  const model = graphOf(TINY);
  const r = rng(7);
  const data = makeDataset(
    'toy',
    [1, 8, 8],
    2,
    Float32Array.from({ length: COUNT * 64 }, () => r()),
    Int32Array.from({ length: COUNT }, (_, i) => i % 2),
  );
  const params = new Map([...initParams(model, 3)].map(([k, t]) => [k, Float64Array.from(t.data)]));
  return { model, data, params, samples: Array.from({ length: COUNT }, (_, i) => i) };
}

describe('the embedding probe', () => {
  it('drift is exactly 0 for the teacher itself; the distance to the noise embeddings is the model’s own', async () => {
    const { model, data, params, samples } = setup();
    const ts = teacherStudent(model, 'norm');
    const backend = new ReferenceProxyBackend();
    const probe = (student: ReadonlyMap<string, ArrayLike<number>>) =>
      embeddingDistances({
        backend,
        ts,
        student,
        teacher: params,
        data,
        samples,
        norm,
        noise: 'gaussian',
        seed: 5,
        batch: BATCH,
      });
    const same = await probe(params);
    expect(same.drift).toBe(0);
    // The same distance from the model's `norm` output on the images and on their noise batches.
    const normOut = model.nodes.find((n) => n.name === 'norm')!.outputs[0]!;
    const ps = new Map(
      [...params].map(([k, v]) => [k, tensor(model.params.find((p) => p.name === k)!.shape, v, 'f64')]),
    );
    const embed = (x: Float32Array) =>
      run(model, { inputs: { x: tensor([BATCH, 1, 8, 8], Float64Array.from(x), 'f64') }, params: ps, keepAll: true })
        .values![normOut]!.data;
    let want = 0;
    for (let b = 0; b * BATCH < COUNT; b++) {
      const { x, pixels } = gatherImages(data, samples.slice(b * BATCH, (b + 1) * BATCH), norm);
      const [e, en] = [embed(x), embed(noiseBatch(pixels, 'gaussian', 5, b, norm, 64))];
      const per = e.length / BATCH;
      for (let s = 0; s < BATCH; s++) {
        let d = 0;
        for (let j = 0; j < per; j++) d += (e[s * per + j]! - en[s * per + j]!) ** 2;
        want += d / per;
      }
    }
    expect(same.toNoise).toBeGreaterThan(0.1);
    expect(same.toNoise).toBeCloseTo(want / COUNT, 10);
    // A student that moved drifts from the teacher.
    const moved = new Map(params);
    moved.set(
      'enc.weight',
      params.get('enc.weight')!.map((v) => v * 1.5 + 0.01),
    );
    expect((await probe(moved)).drift).toBeGreaterThan(1e-4);
  });
});

describe('the reconstruction scorer fed noise', () => {
  it('scores the decoder’s output on the noise embeddings against the images', async () => {
    const { model, data, params, samples } = setup();
    const cls = graphOf(CLASSIFIER);
    const classifier = {
      graph: cls,
      params: new Map([...initParams(cls, 4)].map(([k, t]) => [k, Float64Array.from(t.data)])),
      norm,
    };
    const scorer = await reconstructionScorer({
      backend: new ReferenceProxyBackend(),
      model,
      norm,
      classifier,
      batch: BATCH,
    });
    const plain = await scorer.score(params, data, samples);
    const fed = await scorer.score(params, data, samples, { noise: { kind: 'gaussian', seed: 5 } });
    // By hand: the model run on each batch's noise images, its prediction of the removed patches
    // compared with the images' patches.
    const ps = new Map(
      [...params].map(([k, v]) => [k, tensor(model.params.find((p) => p.name === k)!.shape, v, 'f64')]),
    );
    let want = 0;
    for (let b = 0; b * BATCH < COUNT; b++) {
      const { x, pixels } = gatherImages(data, samples.slice(b * BATCH, (b + 1) * BATCH), norm);
      const noise = noiseBatch(pixels, 'gaussian', 5, b, norm, 64);
      const out = run(model, { inputs: { x: tensor([BATCH, 1, 8, 8], Float64Array.from(noise), 'f64') }, params: ps });
      const pred = out.outputs.get('pred')!.data;
      const mask = out.outputs.get('mask')!.data;
      for (let s = 0; s < BATCH; s++) {
        let se = 0;
        for (let l = 0; l < 4; l++)
          for (let a = 0; a < 4; a++)
            for (let c = 0; c < 4; c++) {
              const [pi, pj] = [Math.floor(l / 2), l % 2];
              const y = pred[(s * 4 + l) * 16 + a * 4 + c]!;
              se += (mask[s * 4 + l]! * (y - x[s * 64 + (pi * 4 + a) * 8 + pj * 4 + c]!) ** 2) / 16;
            }
        want += se / 2;
      }
    }
    expect(fed.error).toBeCloseTo(want / COUNT, 6);
    expect(Math.abs(fed.error - plain.error)).toBeGreaterThan(1e-3);
    scorer.dispose();
  });
});
