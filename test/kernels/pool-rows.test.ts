// Pooling on a CPU adapter takes a run of outputs along a row per lane (schedule.ts perRowRun),
// loading each window column once for the run; a GPU plan takes a lane per output. Both add the
// same taps in the same order, so on one adapter they must agree bit for bit: max and average
// pooling forward (strides, padding, dilation, ceil mode, widths that the run does not divide,
// a fused epilogue) and average pooling's stride-1 input gradient.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import type { Graph } from '../../compiler/ir/types.js';
import { ROW_RUN } from '../../compiler/kernels/lower/schedule.js';
import { graphOf } from '../helpers/compile.js';
import { device, runBoth, target, describe as show } from './harness.js';

afterAll(async () => (await device()).device.destroy());

/** Lanes a plan's dispatch named `name` runs (workgroups × workgroup size). */
function lanesOf(r: Awaited<ReturnType<typeof runBoth>>, name: string): number {
  const d = r.plan.dispatches.find((x) => x.name.includes(name));
  if (!d) throw new Error(`no dispatch ${name} in\n${show(r.plan)}`);
  const m = /@workgroup_size\((\d+)/.exec(d.wgsl);
  return d.workgroups.reduce((a, b) => a * b, 1) * Number(m![1]);
}

/** Runs `g` planned for a CPU adapter and for a GPU; the outputs must be the same bits. */
async function sameBits(g: Graph, kernel: string, rowLanes: number): Promise<void> {
  const t = await target();
  const cpu = await runBoth(g, { target: { ...t, software: true } });
  const gpu = await runBoth(g, { target: { ...t, software: false } });
  cpu.executor.destroy();
  gpu.executor.destroy();
  // The CPU plan takes a lane per run (whole workgroups of them), not one per element.
  expect(lanesOf(cpu, kernel)).toBe(Math.ceil(rowLanes / 64) * 64);
  expect(cpu.err, show(cpu.plan)).toBeLessThan(1e-5);
  for (const [name, want] of gpu.gpu) {
    const got = cpu.gpu.get(name)!;
    expect(got.length).toBe(want.length);
    let differ = 0;
    for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) differ++;
    expect(differ, `${name}: elements that differ`).toBe(0);
  }
}

const runs = (rows: number, w: number) => rows * Math.ceil(w / ROW_RUN);

describe('pooling by row runs on a CPU adapter', () => {
  it('max and average pooling forward: the per-output kernel bit for bit', async () => {
    const arb = fc
      .record({
        h: fc.integer({ min: 4, max: 11 }),
        w: fc.integer({ min: 9, max: 15 }),
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.integer({ min: 1, max: 2 }),
        d: fc.integer({ min: 1, max: 2 }),
        max: fc.boolean(),
        cip: fc.boolean(),
        ceil: fc.boolean(),
      })
      .chain((c) => fc.record({ c: fc.constant(c), p: fc.integer({ min: 0, max: Math.floor(c.k / 2) }) }));
    await fc.assert(
      fc.asyncProperty(arb, async ({ c, p }) => {
        const op = c.max
          ? `maxpool2d(x, ${c.k}, stride=${c.s}, padding=${p}, dilation=${c.d}, ceil_mode=${c.ceil})`
          : `avgpool2d(x, ${c.k}, stride=${c.s}, padding=${p}, ceil_mode=${c.ceil}, count_include_pad=${c.cip})`;
        // An epilogue fused into the pooling kernel (the add and the ReLU), as NAS-Bench-201's
        // cells sum their edges.
        const g = graphOf(
          `model m(x: Tensor[2, 3, ${c.h}, ${c.w}], y: Tensor[2, 3, 1, 1]) {\n  return relu(${op} + y)\n}\n`,
        );
        const out = g.values[g.outputs[0]!.value]!.type.shape as number[];
        const [, , ho, wo] = out;
        // Runs only where neighbouring windows share columns; otherwise a lane per 4 outputs.
        const cols = new Set<number>();
        for (let k = 0; k < ROW_RUN; k++) for (let j = 0; j < c.k; j++) cols.add(k * c.s + j * (c.max ? c.d : 1));
        const shared = cols.size < ROW_RUN * c.k && wo! >= ROW_RUN;
        const lanes = shared ? runs(2 * 3 * ho!, wo!) : Math.ceil((2 * 3 * ho! * wo!) / 4);
        await sameBits(g, c.max ? 'maxpool2d' : 'avgpool2d', lanes);
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });

  it("average pooling's stride-1 input gradient: the per-element kernel bit for bit", async () => {
    const arb = fc
      .record({
        h: fc.integer({ min: 3, max: 9 }),
        w: fc.integer({ min: 4, max: 13 }),
        k: fc.integer({ min: 1, max: 3 }),
        cip: fc.boolean(),
      })
      .chain((c) => fc.record({ c: fc.constant(c), p: fc.integer({ min: 0, max: Math.floor(c.k / 2) }) }));
    await fc.assert(
      fc.asyncProperty(arb, async ({ c, p }) => {
        const g = graphOf(
          `model m(x: Tensor[2, 3, ${c.h}, ${c.w}]) {\n  return avgpool2d(x, ${c.k}, stride=1, padding=${p}, count_include_pad=${c.cip})\n}\n`,
        );
        const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] }).graph;
        await sameBits(gg, 'avgpool2d_grad', runs(2 * 3 * c.h, c.w));
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });
});
