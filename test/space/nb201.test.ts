// examples/nb201.mdl is NAS-Bench-201's space: every one of its 15,625 cells has exactly
// NAS-Bench-201's parameter count and cost, and ranking by parameters correlates with the
// benchmark's CIFAR-10 accuracy as the literature reports (Spearman ρ ≈ 0.75).
//
// Oracles, all independent of mdl's analyses:
// - the published CIFAR-10 ranges: 0.073306–1.531546 M parameters, 7.78305–220.11969 M 'flops'
//   (NAS-Bench-201's flops count conv and linear MACs plus the classifier's bias: MACs + 10);
// - a closed form from the network's definition: 73,306 parameters and 7,783,050 'flops' for
//   the cell-free skeleton, plus per conv edge (5 cells in each of 3 stages, C = 16, 32, 64):
//   nor_conv_3x3 Σ 5·(9C² + 2C) = 243,040 parameters and 15·9·C²·HW = 35,389,440 MACs,
//   nor_conv_1x1 Σ 5·(C² + 2C) = 28,000 and 3,932,160; none, skip and pooling add nothing;
// - NASLib's parameter counts of 491 cells (its zc_nasbench201.json), and its 'flops', which
//   also count pooling, ReLU and batchnorm (../shared/oracles/nb201/README.md);
// - NATS-Bench's CIFAR-10 test accuracies of all 15,625 cells (test/fixtures/nb201).
import { describe, expect, it } from 'vitest';
import { nnMass } from '../../compiler/analysis/nn-mass.js';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { functionalView } from '../../compiler/analysis/topology.js';
import { functionHash, graphHash } from '../../compiler/space/canonical.js';
import { costs, liveParamCount } from '../../compiler/space/proxies.js';
import { candidate, indexOf } from '../../compiler/space/space.js';
import { kendall, spearman } from '../../compiler/space/stats.js';
import { naslib, nb201Ops, nb201Table, space } from './helpers.js';

const sp = space('examples/nb201.mdl');
const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
const byArch = (arch: string) => {
  const ops = nb201Ops(arch);
  return candidate(
    sp,
    indexOf(
      ops.map((o) => OPS.indexOf(o)),
      sp.radix,
    ),
  );
};
const closedForm = (arch: string) => {
  const ops = nb201Ops(arch);
  const n3 = ops.filter((o) => o === 'nor_conv_3x3').length;
  const n1 = ops.filter((o) => o === 'nor_conv_1x1').length;
  return { params: 73_306 + 243_040 * n3 + 28_000 * n1, flops: 7_783_050 + 35_389_440 * n3 + 3_932_160 * n1 };
};

/** One pass over the whole space, shared by the tests that need it. */
let pass:
  | {
      params: number[];
      flops: number[];
      truth: number[];
      unmatched: string[];
      wrong: number;
      functions: number;
      inconsistentMass: number;
    }
  | undefined;
function exhaustive(): NonNullable<typeof pass> {
  if (pass) return pass;
  const table = nb201Table();
  const key = table.columns.indexOf('ArchitectureString');
  const acc = new Map(table.rows.map((r) => [r[key]!, Number(r[0])]));
  const params: number[] = [];
  const flops: number[] = [];
  const truth: number[] = [];
  /** Candidate names without an accuracy in the NATS-Bench table. */
  const unmatched: string[] = [];
  const bind = { B: 1 };
  const massOf = new Map<string, number>();
  let wrong = 0;
  let inconsistentMass = 0;
  for (let i = 0n; i < sp.size; i++) {
    const c = candidate(sp, i);
    const g = c.graph!;
    const k = costs(g, bind);
    const want = closedForm(c.name);
    if (k.params !== want.params || k.macs + 10 !== want.flops) wrong++;
    params.push(k.params);
    flops.push(k.macs + 10);
    truth.push(acc.get(c.name)!);
    if (!Number.isFinite(acc.get(c.name))) unmatched.push(c.name);
    const view = functionalView(g);
    const h = functionHash(g, view);
    if (i % 5n === 0n) {
      const m = nnMass(g, view).total;
      const prev = massOf.get(h);
      if (prev !== undefined && !Number.isNaN(prev) && prev !== m) inconsistentMass++;
      massOf.set(h, m);
    } else if (!massOf.has(h)) massOf.set(h, NaN);
  }
  return (pass = { params, flops, truth, unmatched, wrong, functions: massOf.size, inconsistentMass });
}

describe('examples/nb201.mdl: the NAS-Bench-201 space', () => {
  it('has six choices of the five operations, 15,625 candidates', () => {
    expect(sp.radix).toEqual([5, 5, 5, 5, 5, 5]);
    expect(sp.size).toBe(15_625n);
    expect(candidate(sp, 0n).name).toBe('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');
    expect(candidate(sp, 15_624n).name).toBe(
      '|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|',
    );
  });

  it('every candidate: NAS-Bench-201 parameters and flops, the published ranges, and ρ ≈ 0.75 by parameters', () => {
    const { params, flops, truth, unmatched, wrong } = exhaustive();
    expect(wrong).toBe(0);
    expect(unmatched).toEqual([]); // every name is a NATS-Bench arch string
    expect(Math.min(...params) / 1e6).toBe(0.073306);
    expect(Math.max(...params) / 1e6).toBe(1.531546);
    expect(Math.min(...flops) / 1e6).toBe(7.78305);
    expect(Math.max(...flops) / 1e6).toBe(220.11969);
    const rho = spearman(params, truth);
    expect(rho).toBeGreaterThan(0.74);
    expect(rho).toBeLessThan(0.76);
    expect(kendall(params, truth)).toBeCloseTo(0.578, 2);
  }, 60_000);

  it('NASLib: the parameters of 491 cells, and its flops once its pooling, ReLU and batchnorm terms are taken out', () => {
    for (const [arch, ref] of Object.entries(naslib())) {
      const k = costs(byArch(arch).graph!, { B: 1 });
      expect(k.params, arch).toBe(Math.round(ref.params * 1e6));
      const ops = nb201Ops(arch);
      const conv = ops.filter((o) => o.startsWith('nor_conv')).length;
      const pool = ops.filter((o) => o === 'avg_pool_3x3').length;
      // NASLib counts 3 FLOPs per element for ReLU + BN on each conv edge (430,080 over the
      // 15 cells), 9 per output element for a 3×3 pooling edge (1,290,240), the reductions'
      // 2×2 poolings (24,576) and the skeleton's ReLU/BN/pooling (136,256).
      expect(k.macs + 430_080 * conv + 1_290_240 * pool + 24_576 + 136_256, arch).toBe(Math.round(ref.flops * 1e6));
    }
  });

  it('known cells: the CIFAR-10 best (index 6111) and the extremes', () => {
    const best = byArch(
      '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|',
    ).graph!;
    const s = summarize(best, bindDims(best, 1));
    expect(s.params.total).toBe(1_073_466);
    expect(s.macs + 10).toBe(153_272_970);
    expect(best.params.map((p) => p.name)).toContain('cells.16.layers.5.op.1.weight');
    expect(best.params.map((p) => p.name)).toContain('cells.5.downsample.1.weight');
    expect(best.params.map((p) => p.name)).toContain('classifier.bias');
    expect(costs(byArch('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|').graph!, { B: 1 }).params).toBe(73_306);
    const all3 = byArch(
      '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
    ).graph!;
    expect(costs(all3, { B: 1 }).macs + 10).toBe(220_119_690);
    // The default model of the file is the best cell.
    expect(sp.elaborator.elaborateModel(sp.elaborator.models()[0]!)!.params.length).toBe(best.params.length);
  });

  it('canonical hash: the same value in every version (outputs of earlier runs merge and dedupe with new ones)', () => {
    // Pinned values, also shown in the README; a change here breaks files users already have.
    expect(
      functionHash(
        byArch('|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|avg_pool_3x3~1|skip_connect~2|')
          .graph!,
      ),
    ).toBe('1f79d682ae3fdf');
    expect(
      functionHash(
        byArch('|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|').graph!,
      ),
    ).toBe('0c5c28cd175597');
  });

  it('canonical hash: edges that cannot reach the output do not count, parameters still do', () => {
    // Node 1 feeds only `none` edges: whatever op it has, the cell computes skip(node 0).
    const dead = ['nor_conv_3x3', 'avg_pool_3x3', 'nor_conv_1x1', 'skip_connect'].map(
      (op) => byArch(`|${op}~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|`).graph!,
    );
    const hashes = new Set(dead.map((g) => functionHash(g)));
    expect(hashes.size).toBe(1);
    expect(new Set(dead.map((g) => costs(g, { B: 1 }).params)).size).toBe(3); // conv3, conv1, and the parameter-free two
    expect(new Set(dead.map((g) => graphHash(g))).size).toBe(4);
    // The same network reached two ways (node 1 is node 0 when its edge is skip_connect).
    const a = byArch('|skip_connect~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|').graph!;
    const b = byArch('|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|').graph!;
    expect(functionHash(a)).toBe(functionHash(b));
    expect(graphHash(a)).toBe(graphHash(b));
    expect(costs(a, { B: 1 })).toEqual(costs(b, { B: 1 }));
    // One conv used twice is not two convs: node 3 = 2·conv(x) vs conv_a(x) + conv_b(x).
    const shared = byArch('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|skip_connect~1|skip_connect~2|').graph!;
    const two = byArch('|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|').graph!;
    expect(functionHash(shared)).not.toBe(functionHash(two));
    // Any conv on the path changes the function.
    expect(functionHash(byArch('|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|').graph!)).not.toBe(
      functionHash(byArch('|nor_conv_1x1~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|').graph!),
    );
  });

  it('live_params counts only the layers the output depends on', () => {
    const live = (arch: string) => {
      const g = byArch(arch).graph!;
      return liveParamCount(g, functionalView(g));
    };
    const params = (arch: string) => costs(byArch(arch).graph!, { B: 1 }).params;
    // Nodes 1 and 2 feed only `none` edges: their three convs count in params, not in live_params,
    // which equal the parameters of the same cell with those edges removed.
    const deadConvs = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|nor_conv_3x3~0|none~1|none~2|';
    const pruned = '|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|';
    expect(params(deadConvs)).toBe(closedForm(deadConvs).params);
    expect(live(deadConvs)).toBe(params(pruned));
    expect(live(deadConvs)).toBe(params(deadConvs) - (2 * 243_040 + 28_000)); // closedForm counts each edge over all 15 cells
    // Without dead layers the two are equal.
    const all3 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
    expect(live(all3)).toBe(params(all3));
    // A cell whose output is all `none` computes a constant: every cell's convs, the stem and
    // the reduction blocks before the last cell's output are dead; only what follows counts.
    const constant = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|';
    expect(live(constant)).toBeLessThan(params('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'));
    expect(params(constant)).toBe(closedForm(constant).params);
  });

  it('the 15,625 cells compute 5,650 distinct functions; NN-Mass is a function of the function', () => {
    const { functions, inconsistentMass } = exhaustive();
    expect(functions).toBe(5_650);
    expect(inconsistentMass).toBe(0);
  }, 60_000);
});
