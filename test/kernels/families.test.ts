// Every kernel family against the reference interpreter on random shapes (fast-check, few runs:
// each new shape compiles new pipelines). Float32 tolerance: norm-wise relative error.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { graphOf } from '../helpers/compile.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { relError } from '../../compiler/reference/tensor.js';
import { ACTIVATIONS } from '../../compiler/ops/pointwise/index.js';
import type { Activation } from '../../compiler/ops/pointwise/fn.js';
import { device, runBoth, target, describe as show, type BothOptions } from './harness.js';

afterAll(async () => (await device()).device.destroy());

const RUNS = { numRuns: 4, endOnFailure: true } as const;
const TOL = 2e-5;

async function check(src: string, opts: BothOptions = {}, tol = TOL): Promise<void> {
  const g = graphOf(src);
  const r = await runBoth(g, opts);
  r.executor.destroy();
  expect(r.err, `${src}\n${show(r.plan)}`).toBeLessThan(tol);
}

const dim = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

describe('matmul and linear', () => {
  it('matmul with broadcast batch dims', async () => {
    await fc.assert(
      fc.asyncProperty(dim(1, 9), dim(1, 70), dim(1, 40), dim(1, 3), fc.boolean(), async (m, k, n, b, bcast) => {
        const sa = bcast ? [b, 1, m, k] : [b, m, k];
        const sb = bcast ? [1, 2, k, n] : [b, k, n];
        await check(`model m(a: Tensor${shape(sa)}, b: Tensor${shape(sb)}) {\n  return a @ b\n}\n`);
      }),
      RUNS,
    );
  });

  it('linear over rank 2 and 3 inputs, with and without bias, aligned and not', async () => {
    await fc.assert(
      fc.asyncProperty(
        dim(1, 12),
        fc.constantFrom(3, 8, 17, 64),
        fc.constantFrom(1, 4, 10, 70),
        fc.boolean(),
        fc.boolean(),
        async (m, k, n, bias, rank3) => {
          const s = rank3 ? [2, m, k] : [m, k];
          await check(`model m(x: Tensor${shape(s)}) {\n  return linear(x, ${n}, bias=${bias})\n}\n`);
        },
      ),
      RUNS,
    );
  });
});

describe('the GPU strategy (shared-memory tiles), run here on the CPU adapter', () => {
  it('matmul, linear (both operand layouts), batched products with edges, long reductions', async () => {
    const gpu = { ...(await target()), software: false };
    const cases = [
      'model m(a: Tensor[70, 33], b: Tensor[33, 90]) {\n  return a @ b\n}\n',
      'model m(x: Tensor[2, 40, 50]) {\n  return relu(linear(x, 70))\n}\n',
      'model m(a: Tensor[3, 65, 17], b: Tensor[1, 17, 66]) {\n  return a @ b\n}\n',
      'model m(a: Tensor[2, 64, 64]) {\n  return transpose(a, 1, 2) @ a\n}\n',
      // long sums over many outputs: a workgroup per output (a lane per output on CPU adapters)
      'model m(x: Tensor[2, 40, 6, 7]) {\n  return sum(x, [0, 2, 3]) + mean(x, [0, 2, 3])\n}\n',
    ];
    for (const c of cases) await check(c, { target: gpu });
  });
});

describe('conv2d', () => {
  it('strides, padding, dilation, groups (incl. depthwise), bias', async () => {
    const arb = fc
      .record({
        n: dim(1, 2),
        cg: dim(1, 3),
        groups: fc.constantFrom(1, 2, 3),
        og: dim(1, 5),
        h: dim(5, 11),
        w: dim(5, 11),
        k: fc.constantFrom(1, 2, 3, 5),
        s: dim(1, 2),
        p: dim(0, 2),
        d: dim(1, 2),
        bias: fc.boolean(),
        depthwise: fc.boolean(),
      })
      .filter((c) => c.h + 2 * c.p - c.d * (c.k - 1) - 1 >= 0 && c.w + 2 * c.p - c.d * (c.k - 1) - 1 >= 0);
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const cin = c.depthwise ? c.groups * 2 : c.cg * c.groups;
        const groups = c.depthwise ? cin : c.groups;
        const out = c.depthwise ? cin : c.og * c.groups;
        await check(
          `model m(x: Tensor[${c.n}, ${cin}, ${c.h}, ${c.w}]) {\n  return conv2d(x, ${out}, ${c.k}, stride=${c.s}, padding=${c.p}, dilation=${c.d}, groups=${groups}, bias=${c.bias})\n}\n`,
        );
      }),
      RUNS,
    );
  });
});

describe('conv2d backward, both strategies (direct for CPU adapters, implicit GEMM for GPUs)', () => {
  it('weight and input gradients: strides, padding, dilation, groups (incl. depthwise), partial tiles', async () => {
    const arb = fc
      .record({
        n: dim(1, 3),
        cg: dim(1, 5),
        groups: fc.constantFrom(1, 2),
        og: dim(1, 6),
        h: dim(4, 10),
        w: dim(4, 10),
        k: fc.constantFrom(1, 2, 3),
        s: dim(1, 2),
        p: dim(0, 2),
        d: dim(1, 2),
        depthwise: fc.boolean(),
      })
      .filter((c) => c.h + 2 * c.p - c.d * (c.k - 1) - 1 >= 0 && c.w + 2 * c.p - c.d * (c.k - 1) - 1 >= 0);
    const t = await target();
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const cin = c.depthwise ? c.groups * 3 : c.cg * c.groups;
        const groups = c.depthwise ? cin : c.groups;
        const out = c.depthwise ? cin : c.og * c.groups;
        const g = graphOf(
          `model m(x: Tensor[${c.n}, ${cin}, ${c.h}, ${c.w}]) {\n  return conv2d(x, ${out}, ${c.k}, stride=${c.s}, padding=${c.p}, dilation=${c.d}, groups=${groups}, bias=false)\n}\n`,
        );
        const gg = buildGradient(g, { loss: { kind: 'cotangents' }, wrtInputs: ['x'] }).graph;
        for (const convBackward of ['direct', 'implicit-gemm'] as const) {
          const r = await runBoth(gg, { target: { ...t, convBackward } });
          r.executor.destroy();
          expect(
            r.plan.dispatches.some((d) => d.wgsl.includes('implicit GEMM')),
            convBackward,
          ).toBe(convBackward === 'implicit-gemm');
          expect(r.err, `${convBackward}\n${show(r.plan)}`).toBeLessThan(1e-4);
        }
      }),
      RUNS,
    );
  });
});

describe('pooling', () => {
  it('maxpool2d and avgpool2d with padding, strides, ceil mode, count_include_pad', async () => {
    const arb = fc
      .record({
        h: dim(4, 10),
        w: dim(4, 10),
        k: dim(1, 3),
        s: dim(1, 3),
        ceil: fc.boolean(),
        cip: fc.boolean(),
        max: fc.boolean(),
      })
      .chain((c) => fc.record({ c: fc.constant(c), p: dim(0, Math.floor(c.k / 2)) }));
    await fc.assert(
      fc.asyncProperty(arb, async ({ c, p }) => {
        const op = c.max
          ? `maxpool2d(x, ${c.k}, stride=${c.s}, padding=${p}, ceil_mode=${c.ceil})`
          : `avgpool2d(x, ${c.k}, stride=${c.s}, padding=${p}, ceil_mode=${c.ceil}, count_include_pad=${c.cip})`;
        await check(`model m(x: Tensor[2, 3, ${c.h}, ${c.w}]) {\n  return ${op}\n}\n`);
      }),
      RUNS,
    );
  });

  it('global_avgpool, keepdim or not', async () => {
    await check(`model m(x: Tensor[3, 5, 7, 6]) {\n  return flatten(global_avgpool(x))\n}\n`);
    await check(`model m(x: Tensor[2, 4, 3, 3]) {\n  return global_avgpool(x, keepdim=false)\n}\n`);
  });
});

describe('reductions, norms, losses', () => {
  it('sum and mean over random axes, keepdim or not (both strategies)', async () => {
    const arb = fc.record({
      s: fc.array(dim(1, 6), { minLength: 1, maxLength: 4 }),
      mean: fc.boolean(),
      keep: fc.boolean(),
      pick: fc.integer({ min: 1, max: 15 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ s, mean, keep, pick }) => {
        const axes = s.map((_, i) => i).filter((i) => (pick >> i) & 1);
        if (axes.length === 0) axes.push(0);
        await check(
          `model m(x: Tensor${shape(s)}) {\n  return ${mean ? 'mean' : 'sum'}(x, [${axes.join(', ')}], keepdim=${keep})\n}\n`,
        );
      }),
      RUNS,
    );
    // few outputs, long reduction: a workgroup per output
    await check(`model m(x: Tensor[3, 500]) {\n  return sum(x, [1])\n}\n`);
    await check(`model m(x: Tensor[40, 30]) {\n  return mean(x, [0, 1])\n}\n`);
  });

  it('softmax and log_softmax along any axis', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(dim(1, 7), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.nat(),
        async (s, log, a) => {
          await check(
            `model m(x: Tensor${shape(s)}) {\n  return ${log ? 'log_softmax' : 'softmax'}(x * 4.0, axis=${a % s.length})\n}\n`,
          );
        },
      ),
      RUNS,
    );
  });

  it('layernorm (affine or not) and batchnorm2d in both modes', async () => {
    await check(`model m(x: Tensor[3, 4, 10]) {\n  return layernorm(x)\n}\n`, { randomParams: true });
    await check(`model m(x: Tensor[5, 7]) {\n  return layernorm(x, affine=false)\n}\n`);
    await check(`model m(x: Tensor[2, 3, 4, 5]) {\n  return batchnorm2d(x)\n}\n`, { randomParams: true });
    for (const affine of [true, false]) {
      const g = graphOf(
        `model m(x: Tensor[3, 4, 5, 3]) {\n  return batchnorm2d(x, momentum=0.3, affine=${affine})\n}\n`,
      );
      const r = await runBoth(g, { training: true, randomParams: true });
      expect(r.err).toBeLessThan(TOL);
      expect(r.refBuffers.size).toBe(2);
      for (const [name, t] of r.refBuffers) expect(relError(r.gpuBuffers.get(name)!, t.data), name).toBeLessThan(TOL);
      r.executor.destroy();
    }
  });

  it('cross_entropy (with label smoothing) and mse', async () => {
    await fc.assert(
      fc.asyncProperty(dim(1, 70), dim(2, 12), fc.constantFrom(0, 0.1), async (n, c, ls) => {
        await check(
          `model m(x: Tensor[${n}, ${c}], y: i32[${n}]) {\n  return cross_entropy(x * 3.0, y, label_smoothing=${ls})\n}\n`,
          { classes: c },
        );
      }),
      RUNS,
    );
    await check(`model m(p: Tensor[4, 33], t: Tensor[4, 33]) {\n  return mse(p, t)\n}\n`);
  });
});

describe('elementwise chains and layout ops (fused)', () => {
  // the nonlinearities (exp, log, pow, … have inputs of their own: test/kernels/zoo-ops.test.ts)
  const acts = Object.values(ACTIVATIONS as Readonly<Record<string, Activation>>)
    .filter((a) => a.kind !== 'elementwise')
    .map((a) => a.name);
  it('random chains of elementwise ops and activations with broadcasting', async () => {
    const term = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('a', 'b', 'c', 'd'),
        fc.tuple(fc.constantFrom('+', '-', '*'), tie('e'), tie('e')).map(([op, x, y]) => `(${x} ${op} ${y})`),
        fc.tuple(fc.constantFrom('+', '-', '*'), tie('e')).map(([op, x]) => `(${x} ${op} 2.5)`),
        fc.tuple(tie('e'), tie('e')).map(([x, y]) => `(${x} / (1.5 + sigmoid(${y})))`),
        fc.tuple(fc.constantFrom(...acts), tie('e')).map(([f, x]) => `${f}(${x} * 3.0)`),
        tie('e').map((x) => `-${x}`),
      ),
    })).e;
    await fc.assert(
      fc.asyncProperty(term, async (e) => {
        // Inputs lie in [−1, 1]: errors are measured at that scale too, since a chain may
        // cancel to rounding noise (a + ((−a − 2.5) + 2.5)), where a relative error means nothing.
        await check(
          `model m(a: Tensor[2, 3, 5], b: Tensor[5], c: Tensor[3, 1], d: Tensor[2, 1, 5]) {\n  return a + ${e}\n}\n`,
          { errFloor: 1 },
        );
      }),
      { numRuns: 6, endOnFailure: true },
    );
    await check(`model m(x: Tensor[4, 9]) {\n  return gelu(x * 3.0, approximate="tanh") + gelu(x * 2.0)\n}\n`);
  });

  it('transpose, permute, slice, select, expand, concat, pad, split (views and gathers)', async () => {
    const cases = [
      'return relu(transpose(x, 0, 2))',
      'return permute(x, [2, 0, 1]) * 2.0',
      'return x[:, 1:4:2, ::3] + 1.0',
      'return x[1] - x[0]',
      'return concat([x, relu(x), x[:, :2]], axis=1)',
      'return pad(x, [1, 2, 0, 1], value=-1.0)',
      'return pad(x, [-1, 0, 1, -1])',
      'return expand(x[:, :, :1], [2, 5, 6]) + x',
      'p, q = split(x, [2, 3], axis=1)\n  return p * 3.0 + q[:, :2]',
      'return reshape(permute(x, [1, 0, 2]), [5, 12])',
      'return linear(transpose(x, 1, 2), 3)',
      'return transpose(x, 1, 2) @ x',
    ];
    for (const c of cases) await check(`model m(x: Tensor[2, 5, 6]) {\n  ${c}\n}\n`);
  });

  it('conv epilogue: batchnorm, activation and residual add in one kernel', async () => {
    const src = `model m(x: Tensor[2, 4, 6, 6]) {\n  h = batchnorm2d(conv2d(x, 4, 3, padding=1, bias=false))\n  return hardswish(h + x)\n}\n`;
    const g = graphOf(src);
    const r = await runBoth(g, { randomParams: true });
    expect(r.err).toBeLessThan(TOL);
    expect(r.plan.dispatches.length, show(r.plan)).toBe(1);
    r.executor.destroy();
  });

  it("dropout in training draws exactly the interpreter's mask", async () => {
    const g = graphOf(`model m(x: Tensor[3, 50]) {\n  return dropout(relu(x) + 1.0, 0.3)\n}\n`);
    for (const step of [0, 5]) {
      const r = await runBoth(g, { training: true, seed: 11, step });
      const got = r.gpu.get('output')!;
      const want = r.ref.get('output')!.data;
      for (let i = 0; i < want.length; i++) expect(got[i] === 0, `element ${i}`).toBe(want[i] === 0);
      expect(r.err).toBeLessThan(TOL);
      r.executor.destroy();
    }
  });
});
