// The proxy registry: every proxy declares its sign and level, and the lean cost counters the
// scorer uses agree with the per-layer summary (analysis/summary.ts) on every example.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { costs, PROXIES, ProxyContext } from '../../compiler/space/proxies.js';
import { compileFile } from '../helpers/compile.js';

describe('proxies', () => {
  it('each declares a sign (+1 higher is better, −1 lower) and a level', () => {
    for (const p of PROXIES) {
      expect([1, -1]).toContain(p.sign);
      expect(['graph', 'function']).toContain(p.level);
      expect(p.doc.length).toBeGreaterThan(10);
    }
    const names = PROXIES.map((p) => p.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  const files = readdirSync('examples').filter((f) => f.endsWith('.mdl'));
  for (const f of files) {
    it(`${f}: params, MACs, FLOPs and activation bytes equal the summary's, at batch 1 and 3`, () => {
      const g = compileFile(`examples/${f}`).graph!;
      for (const b of [1, 3]) {
        const bind = bindDims(g, b);
        const s = summarize(g, bind);
        expect(costs(g, bind)).toEqual({ params: s.params.total, macs: s.macs, flops: s.flops });
        // activation_bytes first, on a context that has no summary yet: its own lean sum.
        const lean = new ProxyContext(g, bind);
        expect(PROXIES.find((p) => p.name === 'activation_bytes')!.compute(lean)).toBe(s.activation_bytes);
        const ctx = new ProxyContext(g, bind);
        expect(PROXIES.find((p) => p.name === 'peak_bytes')!.compute(ctx)).toBe(s.activation_peak_bytes);
      }
    });
  }
});
