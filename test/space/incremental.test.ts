// Incremental static analysis (compiler/space/incremental.ts) against the full elaboration:
// random candidates of the three example spaces must get the same row (canonical hash and
// every static proxy) either way, and where the incremental analysis does not apply, the
// fallback must be taken (and named), not a wrong value returned.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindDims } from '../../compiler/analysis/summary.js';
import { Scorer } from '../../compiler/space/evaluate.js';
import { IncrementalAnalyser, type Fallback } from '../../compiler/space/incremental.js';
import { PROXIES } from '../../compiler/space/proxies.js';
import type { OpenSpace } from '../../compiler/space/space.js';
import { space, spaceText } from './helpers.js';

const STATIC = PROXIES.filter((p) => !p.data).map((p) => p.name);
const SUMMED = ['params', 'macs', 'flops'];
const FUNCTION_LEVEL = PROXIES.filter((p) => !p.data && p.level === 'function').map((p) => p.name);
const GRAPH_ONLY = STATIC.filter((p) => !SUMMED.includes(p) && !FUNCTION_LEVEL.includes(p));

const SPACES = [
  { file: 'examples/nb201.mdl', runs: 60 },
  { file: 'examples/flash_space.mdl', runs: 25 },
  { file: 'examples/mbv2_space.mdl', runs: 8 },
];

const bind = (g: Parameters<typeof bindDims>[0]) => bindDims(g, 1);
const ALL = { macs: true, flops: true };

function pair(s: () => OpenSpace, proxies: readonly string[]) {
  return { inc: new Scorer(s(), proxies, 1, 'incremental'), full: new Scorer(s(), proxies, 1, 'full') };
}

describe('incremental static analysis equals the full elaboration', () => {
  for (const { file, runs } of SPACES) {
    it(`${file}: hash, parameters, MACs and FLOPs of random candidates`, () => {
      const sp = space(file);
      const analyser = new IncrementalAnalyser(sp);
      const full = new Scorer(space(file), SUMMED, 1, 'full');
      let incremental = 0;
      fc.assert(
        fc.property(fc.bigInt(0n, sp.size - 1n), (i) => {
          const r = analyser.analyse(i, bind, ALL);
          const row = full.score(i);
          if ('fallback' in r) {
            expect(r.fallback).toBe('sum across a segment');
            return;
          }
          incremental++;
          expect(r.arch).toBe(row.arch);
          expect({ hash: r.hash, params: r.params, macs: r.macs, flops: r.flops }).toEqual({
            hash: row.hash,
            params: row['params'],
            macs: row['macs'],
            flops: row['flops'],
          });
        }),
        { numRuns: runs, seed: 7 },
      );
      expect(incremental).toBeGreaterThan(runs / 2);
    });

    it(`${file}: NN-Mass and NN-Degree composed from segments, or the named fallback`, () => {
      const { inc, full } = pair(() => space(file), ['params', 'nn_mass', 'nn_degree']);
      fc.assert(
        fc.property(fc.bigInt(0n, inc.space.size - 1n), (i) => {
          expect(inc.score(i)).toEqual(full.score(i));
        }),
        { numRuns: runs, seed: 13 },
      );
      expect(inc.counts.mismatches).toBe(0);
      expect([...inc.counts.fallbacks.keys()].every((k) => k !== 'new function')).toBe(true);
      if (file.includes('nb201')) expect(inc.counts.incremental).toBeGreaterThan(runs / 2);
    });

    it(`${file}: every static proxy, scored incrementally or not`, () => {
      // Function-level proxies come from an earlier candidate with the same hash; repeating
      // the candidates (and, in NAS-Bench-201, the many cells computing the same function)
      // exercises that path.
      const { inc, full } = pair(() => space(file), [...SUMMED, ...FUNCTION_LEVEL]);
      const graphOnly = pair(() => space(file), GRAPH_ONLY);
      const size = inc.space.size;
      fc.assert(
        fc.property(fc.array(fc.bigInt(0n, size - 1n), { minLength: 1, maxLength: 3 }), (xs) => {
          for (const i of [...xs, ...xs]) {
            expect(inc.score(i)).toEqual(full.score(i));
            expect(graphOnly.inc.score(i)).toEqual(graphOnly.full.score(i));
          }
        }),
        { numRuns: Math.max(3, Math.round(runs / 4)), seed: 11 },
      );
      expect(inc.counts.incremental).toBeGreaterThan(0);
      expect(inc.counts.mismatches).toBe(0);
      // Peak and activation bytes need the graph: every such row is a named fallback.
      expect(graphOnly.inc.counts.incremental).toBe(0);
      expect(graphOnly.inc.counts.fallbacks.get('proxy needs the graph')).toBeGreaterThan(0);
    });
  }
});

describe('the fallback is taken where incremental analysis does not apply', () => {
  const nb201 = () => space('examples/nb201.mdl');
  const reason = (s: OpenSpace, i: bigint): Fallback | undefined => {
    const r = new IncrementalAnalyser(s).analyse(i, bind, ALL);
    return 'fallback' in r ? r.fallback : undefined;
  };

  it('a cell whose input is zero (the all-`none` cell feeds zero to the next one) is analysed as its expansion with a zero input', () => {
    expect(reason(nb201(), 0n)).toBeUndefined();
    const { inc, full } = pair(nb201, [...SUMMED, 'nn_mass', 'nn_degree']);
    // 0: every edge none; 1: the last edge avg-pools the zero node 2; 5: …it skips node 2.
    for (const i of [0n, 1n, 5n]) expect(inc.score(i)).toEqual(full.score(i));
    expect(inc.counts.incremental).toBe(3);
  });

  it('a sum that the functional view splices across two cells', () => {
    // Candidate 27: the cell's output is a sum that the next cell's only use adds to its own.
    expect(reason(nb201(), 27n)).toBe('sum across a segment');
    const { inc, full } = pair(nb201, SUMMED);
    expect(inc.score(27n)).toEqual(full.score(27n));
    expect(inc.counts.fallbacks.get('sum across a segment')).toBe(1);
  });

  it('a new function when a function-level proxy other than NN-Mass and NN-Degree is asked for, not when it was seen', () => {
    const { inc, full } = pair(nb201, ['params', 'nn_mass', 'dtmc_tps']);
    const i = 6111n;
    expect(inc.score(i)).toEqual(full.score(i));
    expect(inc.score(i)).toEqual(full.score(i));
    expect(inc.counts.fallbacks.get('new function')).toBe(1);
    expect(inc.counts.incremental).toBe(1);
  });

  it('NN-Mass and NN-Degree of a new function are composed from its segments', () => {
    const { inc, full } = pair(nb201, ['params', 'nn_mass', 'nn_degree']);
    for (const i of [6111n, 6112n, 77n]) expect(inc.score(i)).toEqual(full.score(i));
    expect(inc.counts.incremental).toBe(3);
    expect(inc.counts.fallbacks.size).toBe(0);
    // The best cell's values, as the full analyses give them (and not zero: blocks were found).
    expect(inc.score(6111n)['nn_mass']).toBeGreaterThan(0);
  });

  it('a live concatenation (DenseNet-type cells) needs the whole graph for NN-Mass', () => {
    const { inc, full } = pair(() => space('examples/flash_space.mdl'), ['nn_mass']);
    for (let k = 0n; k < 6n; k++) {
      const i = (k * 7919n) % inc.space.size;
      expect(inc.score(i)).toEqual(full.score(i));
    }
    expect(inc.counts.fallbacks.get('topology across segments')).toBeGreaterThan(0);
  });

  it('a candidate that does not build, with the full path’s error', () => {
    const text = `
block cell(x: Tensor, w: int) {
  return relu(conv2d(x, w, 3, padding=1)) as "c"
}
model net(x: Tensor[B, 3, 8, 8], w: int = 4, k: int = 3) {
  h = cell(x, w) as "a"
  h = conv2d(h, 4, k) as "b"
  return flatten(global_avgpool(h))
}
space s { model = net(w=choice([2, 4]), k=choice([3, 9])) }
`;
    const open = () => {
      const r = spaceText(text);
      if (!r.space) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
      return r.space;
    };
    const { inc, full } = pair(open, SUMMED);
    for (let i = 0n; i < 4n; i++) expect(inc.score(i)).toEqual(full.score(i));
    expect(full.score(1n).error).toBeDefined();
    expect(inc.counts.fallbacks.get('does not build')).toBe(2);
    expect(inc.counts.incremental).toBe(2);
  });

  it('calls that cannot be folded (two tensor arguments, a choice inside) are expanded in place', () => {
    const text = `
block join(a: Tensor, b: Tensor) {
  return relu(a + b) as "r"
}
block pick(x: Tensor) {
  return conv2d(x, 4, choice([1, 3]), padding=choice([0, 1])) as "c"
}
block cell(x: Tensor, w: int) {
  return relu(conv2d(x, w, 3, padding=1)) as "c"
}
model net(x: Tensor[B, 4, 8, 8], w: int = 4) {
  h = cell(x, w) as "a"
  h = join(h, x) as "j"
  h = pick(h) as "p"
  h = cell(h, 4) as "d"
  return flatten(global_avgpool(h))
}
space s { model = net(w=choice([4, 4])) }
`;
    const open = () => {
      const r = spaceText(text);
      if (!r.space) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
      return r.space;
    };
    const sp = open();
    const { inc, full } = pair(open, SUMMED);
    for (let i = 0n; i < sp.size; i++) expect(inc.score(i)).toEqual(full.score(i));
    expect(inc.counts.incremental).toBe(Number(sp.size));
    // The two options of \`w\` are the same network: one hash.
    expect(inc.score(0n).hash).toBe(inc.score(4n).hash);
    expect(inc.score(0n).hash).not.toBe(inc.score(1n).hash);
  });
});
