// Where theory says the rewrites are exact, they are (f64 on the reference interpreter, random
// shapes): LBP-WHT with every basis is exact backprop (Parseval); LBP-WHT with only the DC basis
// is gradient filtering with the same patch on pointwise layers; gradient filtering with patch 1
// is exact; on a 1×1 convolution gradient filtering is autodiff fed with the patch-averaged
// output gradient.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphOf } from '../helpers/compile.js';
import { maxRelDiff, rule, runVjp, vjpUnder } from './util.js';
import type { StrategySpec } from '../../compiler/rewrites/index.js';

const exact: StrategySpec = { kind: 'exact' };
const lbp = (patch: number, basis: 'full' | 'dc' | 'lp_l1', order = 2): StrategySpec => ({
  kind: 'lbp_wht',
  patch,
  order,
  basis,
  extraTokens: 0,
});
const gf = (patch: number): StrategySpec => ({ kind: 'grad_filter', patch, extraTokens: 0 });

const tokenModel = (B: number, h: number, w: number, cin: number, cout: number, extra = 0) =>
  graphOf(`model m(x: Tensor[${B}, ${extra + h * w}, ${cin}]) {\n  return linear(x, ${cout}) as "fc"\n}\n`);
const convModel = (N: number, cin: number, H: number, W: number, cout: number, k = 1, stride = 1, groups = 1) =>
  graphOf(
    `model m(x: Tensor[${N}, ${cin}, ${H}, ${W}]) {\n  return conv2d(x, ${cout}, ${k}, stride=${stride}, padding=${(k - 1) >> 1}, groups=${groups}) as "conv"\n}\n`,
  );

function expectSame(gA: ReturnType<typeof vjpUnder>, gB: ReturnType<typeof vjpUnder>, seed: number, tol: number): void {
  const a = runVjp(gA, seed);
  const b = runVjp(gB, seed);
  for (const k of ['grad:input:x', ...[...gA.grads.keys()].map((p) => `grad:${p}`)])
    expect(maxRelDiff(a.get(k)!, b.get(k)!), k).toBeLessThan(tol);
}

describe('lbp_wht with the full basis equals exact backprop', () => {
  it('linear layers over token grids', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 0, max: 1000 }),
        (p, th, tw, cin, cout, extra, seed) => {
          const g = tokenModel(2, th * p, tw * p, cin, cout, extra);
          const spec: StrategySpec = {
            kind: 'lbp_wht',
            patch: p,
            order: 2,
            basis: 'full',
            extraTokens: extra,
            grid: [th * p, tw * p],
          };
          expectSame(vjpUnder(g, [rule('fc', spec)]), vjpUnder(g, []), seed, 1e-10);
        },
      ),
      { numRuns: 12 },
    );
  });
  it('1×1 convolutions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (p, t, cin, cout, seed) => {
          const g = convModel(2, cin, t * p, p, cout);
          expectSame(vjpUnder(g, [rule('conv', lbp(p, 'full'))]), vjpUnder(g, []), seed, 1e-10);
        },
      ),
      { numRuns: 10 },
    );
  });
  it('and differs from it with a truncated basis (the test can fail)', () => {
    const g = tokenModel(2, 8, 8, 3, 4);
    const a = runVjp(vjpUnder(g, [rule('fc', lbp(8, 'lp_l1', 2))]), 1);
    const b = runVjp(vjpUnder(g, []), 1);
    expect(maxRelDiff(a.get('grad:fc.weight')!, b.get('grad:fc.weight')!)).toBeGreaterThan(1e-3);
  });
});

describe('lbp_wht with the DC basis equals grad_filter with the same patch', () => {
  it('on linear layers over tokens and 1×1 convolutions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (p, t, cin, cout, conv, seed) => {
          const g = conv ? convModel(2, cin, t * p, p, cout) : tokenModel(2, t * p, t * p, cin, cout);
          const name = conv ? 'conv' : 'fc';
          expectSame(vjpUnder(g, [rule(name, lbp(p, 'dc'))]), vjpUnder(g, [rule(name, gf(p))]), seed, 1e-12);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('grad_filter', () => {
  it('with patch 1 equals exact, on pointwise and k×k convolutions', () => {
    for (const [g, name] of [
      [convModel(2, 3, 6, 6, 4, 1), 'conv'],
      [convModel(2, 3, 6, 6, 4, 3), 'conv'],
      [convModel(2, 4, 6, 6, 4, 3, 2, 4), 'conv'],
      [tokenModel(2, 3, 3, 4, 5), 'fc'],
    ] as const)
      expectSame(vjpUnder(g, [rule(name, gf(1))]), vjpUnder(g, [rule(name, exact)]), 7, 1e-12);
  });
});
