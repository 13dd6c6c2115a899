// The static report: backward MACs and memory under rewrites fall as the papers say, read off
// the real training-step graphs (nothing is run).
import { describe, expect, it } from 'vitest';
import { trainCost } from '../../compiler/analysis/train-cost.js';
import { resolveRules, rewrittenTrainStep, type StrategySpec } from '../../compiler/rewrites/index.js';
import { compareRewrites } from '../../compiler/rewrites/report.js';
import { graphOf } from '../helpers/compile.js';
import { rule } from './util.js';

const net = graphOf(`model m(x: Tensor[B, 3, 16, 16]) {
  h = relu(conv2d(x, 16, 3, padding=1) as "stem")
  h = relu(conv2d(h, 32, 3, padding=1) as "conv")
  h = relu(conv2d(h, 32, 1) as "pw")
  return linear(flatten(global_avgpool(h)), 10) as "fc"
}
`);

function compare(rules: Record<string, StrategySpec>) {
  const { plan } = resolveRules(
    net,
    Object.entries(rules).map(([k, s]) => rule(k, s)),
  );
  const opts = { loss: { kind: 'cross_entropy' as const }, optimizer: { kind: 'sgd' as const, momentum: 0.9 } };
  const bind = { B: 8 };
  const exact = trainCost(rewrittenTrainStep(net, new Map(), opts).step, bind);
  const rw = trainCost(rewrittenTrainStep(net, plan, opts).step, bind);
  const c = compareRewrites(exact, rw, plan);
  return { c, saving: Object.fromEntries(c.layers.map((l) => [l.layer, l.exact_backward_macs / l.backward_macs])) };
}

describe('static report under rewrites', () => {
  it('gradient filtering with patch 2 cuts a pointwise layer’s backward MACs 4× (r²), a 3×3 one’s 36× (r²k², the official formulas)', () => {
    const { c, saving } = compare({
      conv: { kind: 'grad_filter', patch: 2, extraTokens: 0 },
      pw: { kind: 'grad_filter', patch: 2, extraTokens: 0 },
    });
    expect(saving['pw']).toBe(4);
    expect(saving['conv']).toBe(36);
    // and it saves memory: the filtered layers' inputs are kept only as patch sums
    expect(c.rewritten.kept_bytes).toBeLessThan(c.exact.kept_bytes);
    expect(c.rewritten.total_bytes).toBeLessThan(c.exact.total_bytes);
  });
  it('LBP-WHT keeps |K|/p² of the matmul work: 64/3 for LP_L1-2 and 64/10 for LP_L1-4 with 8×8 patches', () => {
    expect(
      compare({ pw: { kind: 'lbp_wht', patch: 8, order: 2, basis: 'lp_l1', extraTokens: 0 } }).saving['pw'],
    ).toBeCloseTo(64 / 3, 10);
    expect(
      compare({ pw: { kind: 'lbp_wht', patch: 8, order: 4, basis: 'lp_l1', extraTokens: 0 } }).saving['pw'],
    ).toBeCloseTo(64 / 10, 10);
    expect(compare({ pw: { kind: 'lbp_wht', patch: 8, order: 2, basis: 'full', extraTokens: 0 } }).saving['pw']).toBe(
      1,
    );
  });
  it('grad_filter(1) costs what exact costs', () => {
    const { c } = compare({ conv: { kind: 'grad_filter', patch: 1, extraTokens: 0 } });
    expect(c.rewritten.backward_macs).toBe(c.exact.backward_macs);
  });
});
