// The direct convolution kernels' tiles (CPU adapters): the weight gradient's choice on every
// small geometry, and the kernel at the tiles that the random shapes of families.test.ts never
// reach (several workgroups of lanes, 16 output channels per workgroup) against the interpreter;
// the forward's and input gradient's channel block.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { channelsPerWorkgroup } from '../../compiler/kernels/lower/conv.js';
import { gradWeightDirectTiles } from '../../compiler/kernels/lower/convgradweight.js';
import { planGraph } from '../../compiler/kernels/plan.js';
import { GPU_TARGET, SOFTWARE_TARGET } from '../../compiler/kernels/target.js';
import { graphOf } from '../helpers/compile.js';
import { device, runBoth, target, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

describe('gradWeightDirectTiles', () => {
  it('covers every lane once, idles fewer than 8 lanes per workgroup, divides the channels', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 128 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(1, 3, 5, 7),
        fc.boolean(),
        (P, og, groups, kw, windowed) => {
          const O = og * groups;
          const t = gradWeightDirectTiles(P, og, O, kw, windowed);
          expect(t.lanes).toBeLessThanOrEqual(64);
          expect(t.lanes % 8).toBe(0);
          expect(t.gx * t.lanes).toBeGreaterThanOrEqual(P);
          // Lanes past P are at most the rounding to a multiple of 8 in each workgroup.
          expect(t.gx * t.lanes - P).toBeLessThan(8 * t.gx);
          expect(og % t.to).toBe(0);
          expect(t.to * kw <= 48 || t.to === 1).toBe(true);
          expect(t.to).toBeLessThanOrEqual(kw === 1 || !windowed ? 8 : 16);
          // Two workgroups whenever the channels allow it.
          if (t.gx * O >= 2) expect(t.gx * Math.ceil(O / t.to)).toBeGreaterThanOrEqual(2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits 96 lanes of work into two workgroups of 48, not 64 and 32', () => {
    expect(gradWeightDirectTiles(96, 32, 32, 3, true)).toEqual({ lanes: 48, gx: 2, to: 16 });
    expect(gradWeightDirectTiles(48, 16, 16, 3, true)).toEqual({ lanes: 48, gx: 1, to: 8 });
    expect(gradWeightDirectTiles(64, 64, 64, 1, true)).toEqual({ lanes: 64, gx: 1, to: 8 });
    // A stride (no register window) keeps 8 channels.
    expect(gradWeightDirectTiles(96, 32, 32, 3, false)).toEqual({ lanes: 48, gx: 2, to: 8 });
  });
});

describe('channelsPerWorkgroup (the forward and input-gradient kernels)', () => {
  it('takes at most 4 channels on a CPU adapter for kernels of several taps, 8 otherwise, always a divisor', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), fc.constantFrom(1, 9, 25), fc.boolean(), (per, taps, software) => {
        const to = channelsPerWorkgroup(per, taps, software ? SOFTWARE_TARGET : GPU_TARGET);
        expect(per % to).toBe(0);
        const cap = software && taps > 1 ? 4 : 8;
        expect(to).toBeLessThanOrEqual(cap);
        // The largest such divisor.
        for (let d = to + 1; d <= Math.min(cap, per); d++) expect(per % d).not.toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('plans a 3×3 layer with 4 channels per workgroup on a CPU adapter, forward and input gradient', async () => {
    const g = graphOf(
      'model m(x: Tensor[2, 16, 8, 8]) {\n  h = relu(conv2d(x, 16, 1, bias=false))\n  return conv2d(h, 16, 3, padding=1, bias=false)\n}\n',
    );
    const gg = buildGradient(g, { loss: { kind: 'mse' }, training: true }).graph;
    const wgsl = planGraph(gg, { target: SOFTWARE_TARGET, dims: {}, training: true })
      .dispatches.map((d) => d.wgsl)
      .join('\n');
    expect(wgsl).toContain('conv2d 3×3/1, 4 channels per workgroup');
    expect(wgsl).toContain('conv2d 1×1/1, 8 channels per workgroup');
    expect(wgsl).toContain('conv2d_grad_input: 4 input channels per workgroup');
    const onGpu = planGraph(g, { target: GPU_TARGET, dims: {} })
      .dispatches.map((d) => d.wgsl)
      .join('\n');
    expect(onGpu).toContain('conv2d 3×3/1, 8 channels per workgroup');
  });
});

describe('the direct weight gradient at its larger tiles', () => {
  // Stride 1 keeps a window of x columns in registers (dilation 2: a window of 5 for 3 taps).
  for (const [cin, out, k, s, d] of [
    [32, 32, 3, 1, 1],
    [40, 48, 3, 2, 1],
    [8, 16, 3, 1, 2],
  ] as const)
    it(`conv2d ${cin} → ${out}, ${k}×${k}, stride ${s}, dilation ${d}, against the interpreter`, async () => {
      const g = graphOf(
        `model m(x: Tensor[2, ${cin}, 7, 7]) {\n  return conv2d(x, ${out}, ${k}, stride=${s}, padding=1, dilation=${d}, bias=false)\n}\n`,
      );
      const gg = buildGradient(g, { loss: { kind: 'cotangents' } }).graph;
      const r = await runBoth(gg, { target: { ...(await target()), convBackward: 'direct' } });
      r.executor.destroy();
      const tiles = gradWeightDirectTiles(cin * k, out, out, k, s === 1);
      const wgsl = r.plan.dispatches.map((d) => d.wgsl).join('\n');
      expect(wgsl).toContain(`${tiles.to} output channels per workgroup`);
      expect(r.err, show(r.plan)).toBeLessThan(1e-4);
    });
});

describe('the input gradient of a strided convolution, by phases', () => {
  // [in channels, out channels, kernel, stride (h, w), padding, groups, height, width]
  for (const [cin, out, k, s, p, groups, h, w] of [
    [4, 8, 3, [2, 2], 1, 1, 9, 8],
    [6, 4, 3, [2, 1], 1, 2, 7, 7],
    [3, 5, 5, [3, 3], 2, 1, 11, 10],
    [8, 8, 3, [2, 2], 1, 8, 8, 9],
    [4, 6, 1, [2, 2], 0, 1, 7, 6],
  ] as const)
    it(`conv2d ${cin} → ${out}, ${k}×${k}, stride ${s.join('×')}, padding ${p}, groups ${groups}, ${h}×${w}`, async () => {
      const g = graphOf(
        `model m(x: Tensor[2, ${cin}, ${h}, ${w}]) {\n  return conv2d(x, ${out}, ${k}, stride=(${s.join(', ')}), padding=${p}, groups=${groups}, bias=false)\n}\n`,
      );
      const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] }).graph;
      const r = await runBoth(gg);
      r.executor.destroy();
      expect(r.plan.dispatches.some((d) => d.wgsl.includes(`by ${s[0] * s[1]} phases`))).toBe(true);
      expect(r.err, show(r.plan)).toBeLessThan(1e-4);
    });

  it('conv_transpose2d with stride 2 and a bias (its forward is this kernel)', async () => {
    const g = graphOf(
      `model m(x: Tensor[2, 6, 5, 4]) {\n  return conv_transpose2d(x, 4, 3, stride=2, padding=1, output_padding=1)\n}\n`,
    );
    const r = await runBoth(g);
    r.executor.destroy();
    expect(r.plan.dispatches.some((d) => d.wgsl.includes('by 4 phases'))).toBe(true);
    expect(r.err, show(r.plan)).toBeLessThan(1e-4);
  });
});
