// Memoised block expansion (compiler/elaborate/memo.ts) must be invisible: every example and
// every candidate of the example spaces elaborates to the same graph with and without it.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Elaborator } from '../../compiler/elaborate/elaborate.js';
import type { Graph } from '../../compiler/ir/types.js';
import { verifyGraph } from '../../compiler/ops/verify.js';
import { loadProgram } from '../../compiler/modules/loader.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { digitsOf } from '../../compiler/space/space.js';
import { TemplateCache } from '../../compiler/elaborate/memo.js';

function elaborator(path: string, memoise: boolean): Elaborator {
  const e = new Elaborator(loadProgram({ path, text: readFileSync(path, 'utf8') }, nodeHost), {});
  e.memoise = memoise;
  return e;
}

/** A graph as plain data, spans by position, so two elaborations can be compared. */
function plain(g: Graph): unknown {
  return JSON.parse(
    JSON.stringify({ ...g, nodes: g.nodes.map((n) => ({ ...n, span: [n.span.file, n.span.start, n.span.end] })) }),
  );
}

describe('memoised block expansion', () => {
  const files = readdirSync('examples')
    .filter((f) => f.endsWith('.mdl'))
    .map((f) => `examples/${f}`);
  for (const f of files) {
    it(`${f}: same models with and without the memo`, () => {
      const on = elaborator(f, true);
      const off = elaborator(f, false);
      for (const m of on.models()) {
        const a = on.elaborateModel(m)!;
        // Twice: the second run replays the first one's expansions.
        const b = on.elaborateModel(m)!;
        const c = off.elaborateModel(off.models().find((x) => x.name === m.name)!)!;
        verifyGraph(b);
        expect(plain(b)).toEqual(plain(c));
        expect(plain(a)).toEqual(plain(c));
      }
    });
  }

  it('space candidates: same graphs with and without the memo', () => {
    const on = elaborator('examples/nb201.mdl', true);
    const off = elaborator('examples/nb201.mdl', false);
    const [s] = on.spaces();
    for (const i of [0, 1, 7, 624, 6111, 15624, 311, 312]) {
      const d = digitsOf(BigInt(i), [5, 5, 5, 5, 5, 5]);
      const a = on.instantiate(s!, d);
      const b = off.instantiate(off.spaces()[0]!, d);
      expect(a.name).toBe(b.name);
      verifyGraph(a.graph!);
      expect(plain(a.graph!)).toEqual(plain(b.graph!));
    }
  });

  it('templates: kept within a model, promoted when a later model replays them, dropped otherwise', () => {
    const c = new TemplateCache<string>(8, 4);
    c.set('shared', 'S');
    c.set('own', 'O');
    expect(c.get('own')).toBe('O'); // the recording model replays its own templates
    c.endInstance();
    expect(c.get('shared')).toBe('S'); // a second model uses it: promoted
    c.endInstance();
    // Later models record templates only they use; probation (4) overflows, the LRU (8) does not.
    for (let m = 0; m < 6; m++) {
      c.set(`m${m}`, `M${m}`);
      c.endInstance();
    }
    expect(c.get('own')).toBeUndefined();
    expect(c.get('m0')).toBeUndefined();
    expect(c.get('m5')).toBe('M5');
    expect(c.get('shared')).toBe('S');
  });
});
