// Average pooling's input gradient on WebGPU against the interpreter: the stride-1 kernel (no
// division to find a tap's window: NAS-Bench-201's 3×3 pooling) and the general one, with and
// without the padding counted, on random shapes.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { graphOf } from '../helpers/compile.js';
import { device, runBoth, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

describe('avgpool2d gradient', () => {
  it('stride 1 and larger, padding, count_include_pad, ceil mode', async () => {
    const arb = fc
      .record({
        h: fc.integer({ min: 3, max: 9 }),
        w: fc.integer({ min: 3, max: 9 }),
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.constantFrom(1, 1, 2),
        cip: fc.boolean(),
        ceil: fc.boolean(),
      })
      .chain((c) => fc.record({ c: fc.constant(c), p: fc.integer({ min: 0, max: Math.floor(c.k / 2) }) }));
    await fc.assert(
      fc.asyncProperty(arb, async ({ c, p }) => {
        const g = graphOf(
          `model m(x: Tensor[2, 3, ${c.h}, ${c.w}]) {\n  return avgpool2d(x, ${c.k}, stride=${c.s}, padding=${p}, ceil_mode=${c.ceil}, count_include_pad=${c.cip})\n}\n`,
        );
        const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] }).graph;
        const r = await runBoth(gg);
        r.executor.destroy();
        expect(
          r.plan.dispatches.some((d) => d.name.includes('avgpool2d_grad')),
          'the gradient is a kernel of its own',
        ).toBe(true);
        expect(r.err, show(r.plan)).toBeLessThan(1e-5);
      }),
      { numRuns: 12, endOnFailure: true },
    );
  });
});
