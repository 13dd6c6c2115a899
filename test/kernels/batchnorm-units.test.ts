// Training-mode batchnorm on a CPU adapter reads x a vec4 at a time where x is a contiguous
// buffer and H·W a multiple of 4 (batchnorm.ts channelUnits), and an element at a time
// otherwise (a fused or strided x, H·W not a multiple of 4, a GPU plan). Each way, the forward
// kernel (with the running statistics), x̂ and the fused backward kernel must agree with the
// interpreter, and the plan must take the way its conditions say.
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import type { Graph } from '../../compiler/ir/types.js';
import { relError } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';
import { device, runBoth, target, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

const TOL = 1e-4;

/** Whether the dispatch whose name contains `name` reads a buffer as vec4. */
function readsVec4(r: Awaited<ReturnType<typeof runBoth>>, name: string): boolean {
  const d = r.plan.dispatches.find((x) => x.name.includes(name));
  if (!d) throw new Error(`no dispatch ${name} in\n${show(r.plan)}`);
  return d.wgsl.includes('array<vec4<f32>>');
}

async function check(g: Graph, kernel: string, vec4: boolean, gpu = false): Promise<void> {
  const t = await target();
  const r = await runBoth(g, { training: true, randomParams: true, seed: 5, target: { ...t, software: !gpu } });
  r.executor.destroy();
  expect(r.err, show(r.plan)).toBeLessThan(TOL);
  for (const [name, ref] of r.refBuffers) expect(relError(r.gpuBuffers.get(name)!, ref.data), name).toBeLessThan(TOL);
  expect(readsVec4(r, kernel), `${kernel} reads x as vec4`).toBe(vec4);
}

const conv = (hw: string, affine = true, logits = false) => {
  const y = `relu(batchnorm2d(h, momentum=0.3, affine=${affine}))`;
  return graphOf(
    `model m(x: Tensor[3, 2, ${hw}]) {\n  h = conv2d(x, 5, 1, bias=false)\n  return ${logits ? `flatten(global_avgpool(${y}))` : y}\n}\n`,
  );
};

describe('training-mode batchnorm by units of x', () => {
  it('forward: vec4 units where H·W is a multiple of 4, elements where not, and in a GPU plan', async () => {
    for (const affine of [true, false]) await check(conv('4, 6', affine), 'batchnorm2d', true);
    await check(conv('3, 5'), 'batchnorm2d', false);
    await check(conv('4, 6'), 'batchnorm2d', false, true);
  });

  it('forward on a strided x (a slice: elements) and on x at an offset in its buffer', async () => {
    // A slice along W is not contiguous; one along C is, at an offset of whole planes.
    const strided = graphOf(
      'model m(x: Tensor[3, 2, 4, 9]) {\n  h = conv2d(x, 5, 1, bias=false)\n  return batchnorm2d(h[:, :, :, 1:])\n}\n',
    );
    const offset = graphOf(
      'model m(x: Tensor[3, 2, 4, 8]) {\n  h = conv2d(x, 6, 1, bias=false)\n  return batchnorm2d(h[:, 2:, :, :])\n}\n',
    );
    await check(strided, 'batchnorm2d', false);
    await check(offset, 'batchnorm2d', true);
  });

  it('backward (batchnorm2d_grad, its weight and bias gradients) and x̂ by vec4 units and by elements', async () => {
    for (const hw of ['4, 6', '3, 5'])
      for (const affine of [true, false]) {
        const g = buildGradient(conv(hw, affine, true), { loss: { kind: 'cross_entropy' }, training: true }).graph;
        const t = await target();
        const r = await runBoth(g, {
          training: true,
          randomParams: true,
          seed: 5,
          classes: 5,
          target: { ...t, software: true },
        });
        r.executor.destroy();
        expect(r.err, show(r.plan)).toBeLessThan(TOL);
        expect(readsVec4(r, 'batchnorm2d.vjp'), show(r.plan)).toBe(hw === '4, 6');
      }
  });
});
