// The ops added for the model zoo on WebGPU against the reference interpreter (float32), forward
// and through their derivative kernels (gradient graphs), on small shapes.
import { afterAll, describe, expect, it } from 'vitest';
import { graphOf } from '../helpers/compile.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { buildJvp } from '../../compiler/autodiff/jvp.js';
import type { Graph } from '../../compiler/ir/types.js';
import { device, runBoth, describe as show, type BothOptions } from './harness.js';

afterAll(async () => (await device()).device.destroy());

const TOL = 2e-5;

async function check(g: Graph, opts: BothOptions = {}, tol = TOL): Promise<void> {
  const r = await runBoth(g, { seed: 5, ...opts });
  r.executor.destroy();
  expect(r.err, show(r.plan)).toBeLessThan(tol);
}

/** The forward pass, its gradient graph (w.r.t. x) and its tangent graph, each on both sides. */
async function all(src: string, opts: BothOptions = {}, tol = TOL): Promise<void> {
  const g = graphOf(src);
  await check(g, opts, tol);
  await check(buildGradient(g, { loss: { kind: 'cotangents' }, training: false, wrtInputs: ['x'] }).graph, opts, tol);
  await check(buildJvp(g, { training: false, inputs: ['x'] }).graph, opts, tol);
}

describe('elementwise functions', () => {
  it('exp, log, sqrt, abs over their whole domain (log and sqrt clamp at 0)', async () => {
    // x in [−1, 1]: log and sqrt see negative values (clamped), positive ones and none at 0
    await all(
      'model m(x: Tensor[3, 7]) {\n' + '  return exp(x * 2.0) + log(x * 3.0 + 1.5) + sqrt(x) + abs(x) + log(x)\n}\n',
    );
  });

  it('pow: even, odd and non-integer exponents, negative bases included', async () => {
    await all(
      'model m(x: Tensor[4, 5]) {\n' +
        '  return pow(x, 2) + pow(x, 3.0) + pow(x * 2.0, 0.5) + pow(x, 1.5) + pow(x, 1)\n}\n',
    );
  });

  it('clamp with one bound, both, and crossed bounds; softplus with both branches', async () => {
    await all(
      'model m(x: Tensor[4, 6]) {\n' +
        '  h = clamp(x, min=-0.5) + clamp(x, max=0.25) + clamp(x, min=-0.3, max=0.3) + clamp(x, min=0.5, max=0.1)\n' +
        '  return h + softplus(x * 4.0) + softplus(x, beta=2.0, threshold=1.0)\n}\n',
    );
  });

  it('where with a broadcast mask of either dtype', async () => {
    const f32 = new Float32Array([1, 0, 0, 1, 1]);
    const i32 = new Int32Array([0, 3, 0, -1, 0]);
    const src =
      'model m(x: Tensor[3, 5], c: Tensor[5], k: i32[5]) {\n' +
      '  return where(c, x * 2.0, relu(x)) + where(k, x, 0.5 * x)\n}\n';
    await all(src, { given: { c: f32, k: i32 } });
  });
});

describe('adaptive pooling', () => {
  it('average and max pooling to sizes that divide the input (global, 7×7 of 14×14, uneven factors)', async () => {
    await all(
      'model m(x: Tensor[2, 3, 14, 14]) {\n' +
        '  a = flatten(adaptive_avgpool2d(x, 7) + adaptive_maxpool2d(x, (7, 2))[:, :, :, :1])\n' +
        '  return concat([a, flatten(adaptive_avgpool2d(x, 1)), flatten(adaptive_maxpool2d(x, (2, 14)))], axis=1)\n}\n',
    );
  });

  it("average pooling's adjoint over tiling windows, with partial windows in ceil mode", async () => {
    for (const cip of [true, false])
      await all(
        `model m(x: Tensor[2, 2, 7, 8]) {\n  return flatten(avgpool2d(x, 3, ceil_mode=true, count_include_pad=${cip}))\n}\n`,
      );
  });
});

describe('transposed convolution', () => {
  it('stride, padding, output_padding, groups, dilation, with and without bias', async () => {
    await all(
      'model m(x: Tensor[2, 4, 5, 5]) {\n  return conv_transpose2d(x, 3, 3, stride=2, padding=1, output_padding=1)\n}\n',
      { randomParams: true },
    );
    await all(
      'model m(x: Tensor[1, 4, 4, 3]) {\n  return conv_transpose2d(x, 6, (3, 2), groups=2, dilation=2, bias=false)\n}\n',
      { randomParams: true },
    );
    await all('model m(x: Tensor[2, 8, 3, 4]) {\n  return relu(conv_transpose2d(x, 4, 2, stride=2))\n}\n', {
      randomParams: true,
    });
  });
});

describe('upsampling', () => {
  it('nearest and bilinear (with and without align_corners), uneven factors; the adjoint gathers', async () => {
    await all(
      'model m(x: Tensor[2, 3, 4, 5]) {\n' +
        '  a = upsample(x, 2) + upsample(x, 2, mode="bilinear") + upsample(x, 2, mode="bilinear", align_corners=true)\n' +
        '  return flatten(a) + flatten(upsample(upsample(x, (1, 2), mode="bilinear"), (2, 1)))\n}\n',
    );
    await all(
      'model m(x: Tensor[1, 2, 3, 2]) {\n' +
        '  return flatten(upsample(x, (3, 4), mode="bilinear", align_corners=true)) + flatten(upsample(x, (3, 4)))\n}\n',
    );
  });
});

describe('group normalisation', () => {
  it('groups of channels over 2-D and 1-D positions, with and without affine', async () => {
    await all('model m(x: Tensor[2, 6, 3, 4]) {\n  return groupnorm(x, 3) * 2.0\n}\n', { randomParams: true });
    await all('model m(x: Tensor[3, 4, 5]) {\n  return relu(groupnorm(x, 2, eps=0.01, affine=false))\n}\n');
    await all('model m(x: Tensor[2, 4, 2, 2]) {\n  return groupnorm(x, 1)\n}\n', { randomParams: true });
  });
});

describe('embeddings, gathers and token masks', () => {
  it('embedding lookups (ids out of range read zeros) and the table gradient', async () => {
    const ids = new Int32Array([0, 4, 2, 2, -1, 7, 1, 4]);
    await all('model m(x: Tensor[2, 4, 3], ids: i32[2, 4]) {\n  return embedding(ids, 5, 3) as "emb" * x\n}\n', {
      given: { ids },
      randomParams: true,
    });
  });

  it('gather along an axis and its adjoint (repeated ids sum)', async () => {
    const ids = new Int32Array([2, 0, 0, 3, 1, 1, 9, 2]);
    await all('model m(x: Tensor[2, 4, 3], ids: i32[2, 4]) {\n  return gather(x * 2.0, ids) + 1.0\n}\n', {
      given: { ids },
    });
  });

  it('token_mask picks the tokens the interpreter picks; a masked autoencoder step differentiates', async () => {
    for (const step of [1, 2])
      await check(
        graphOf(
          'model m(x: Tensor[3, 9, 4]) {\n  ids, restore, mask = token_mask(x, 3) as "mask"\n' +
            '  kept = gather(x, ids)\n  return kept, restore, mask\n}\n',
        ),
        { step },
        1e-12, // indices, and the values they pick: exact
      );
    const g = graphOf(
      'model m(x: Tensor[2, 8, 4]) {\n  ids, restore, mask = token_mask(x, 5)\n  t = linear(gather(x, ids), 4)\n' +
        '  full = gather(concat([t, zero(x[:, :3])], axis=1), restore)\n  return sum(mean((full - x) * (full - x), [2]) * mask, [0, 1])\n}\n',
    );
    await check(buildGradient(g, { loss: { kind: 'cotangents' }, training: true, wrtInputs: ['x'] }).graph, {
      step: 3,
    });
  });
});
