// Anytime networks in .mdl: `exit(…)` and `optional(path, skip)` declare the sub-networks; each
// is a static graph of its own whose params and MACs equal those of the same network written
// out by hand, and whose outputs equal the full graph's at that exit (reference interpreter).
import { describe, expect, it } from 'vitest';
import { anytimeFamily, anytimeReport } from '../../compiler/anytime/analysis.js';
import { checkedFamily } from '../../compiler/anytime/command.js';
import { extremes } from '../../compiler/anytime/family.js';
import { bindDims, summarize } from '../../compiler/analysis/summary.js';
import { run } from '../../compiler/interp/interpreter.js';
import { verifyGraph } from '../../compiler/ops/verify.js';
import { tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { compileText, graphOf } from '../helpers/compile.js';
import { mdl } from '../helpers/cli.js';

const ANYTIME = `
block res(x: Tensor, c: int) {
  return relu(x + linear(relu(linear(x, c) as "a"), c) as "b")
}
model net(x: Tensor[B, 6]) {
  h = relu(linear(x, 8) as "stem")
  h = optional(res(h, 8) as "r1", h) as "o1"
  e = exit(linear(h, 3) as "head1") as "exit1"
  h = optional(res(h, 8) as "r2", h) as "o2"
  return linear(h, 3) as "head2"
}`;

/** The sub-network "output -o1" written by hand. */
const BY_HAND = `
block res(x: Tensor, c: int) {
  return relu(x + linear(relu(linear(x, c) as "a"), c) as "b")
}
model net(x: Tensor[B, 6]) {
  h = relu(linear(x, 8) as "stem")
  h = res(h, 8) as "r2"
  return linear(h, 3) as "head2"
}`;

describe('anytime family', () => {
  const g = graphOf(ANYTIME);
  const f = anytimeFamily(g);

  it('exits × subsets of their upstream optional paths', () => {
    expect(f.structure.exits.map((e) => e.name)).toEqual(['exit1', 'output']);
    expect(f.subnets.map((s) => s.name)).toEqual([
      'exit1',
      'exit1 -o1',
      'output',
      'output -o2',
      'output -o1',
      'output -o1 -o2',
    ]);
    expect(extremes(f.subnets, f.structure)).toEqual({ largest: 2, smallest: 1 });
    for (const sg of f.graphs) verifyGraph(sg);
  });

  it('a sub-network has the params and MACs of the same network written by hand', () => {
    const hand = graphOf(BY_HAND);
    const i = f.subnets.findIndex((s) => s.name === 'output -o1');
    const a = summarize(f.graphs[i]!, bindDims(hand, 4));
    const b = summarize(hand, bindDims(hand, 4));
    expect(a.params).toEqual(b.params);
    expect(a.macs).toBe(b.macs);
    expect(f.graphs[i]!.nodes.map((n) => n.name)).toEqual(hand.nodes.map((n) => n.name));
    expect(f.graphs[i]!.params.map((p) => p.name)).toEqual(hand.params.map((p) => p.name));
    // The full network counts both heads; its largest sub-network only the last.
    const full = summarize(g, bindDims(g, 4)).params.trainable;
    const largest = summarize(f.graphs[2]!, bindDims(g, 4)).params.trainable;
    expect(full - largest).toBe(8 * 3 + 3);
  });

  it('the largest sub-network computes what the full graph outputs; exit1 what the exit sees', () => {
    const x = tensor(
      [2, 6],
      Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)),
    );
    const params = new Map<string, Tensor>();
    g.params.forEach((p, k) =>
      params.set(
        p.name,
        tensor(
          [...p.shape],
          Array.from({ length: p.shape.reduce((a, d) => a * d, 1) }, (_, i) => Math.cos(i * 0.7 + k)),
        ),
      ),
    );
    const full = run(g, { inputs: { x }, params, keepAll: true });
    const big = run(f.graphs[2]!, { inputs: { x }, params });
    expect([...big.outputs.get('output')!.data]).toEqual([...full.outputs.get('output')!.data]);
    const e1 = run(f.graphs[0]!, { inputs: { x }, params });
    const head1 = g.nodes.find((n) => n.name === 'head1')!;
    expect([...e1.outputs.get('output')!.data]).toEqual([...full.values![head1.outputs[0]!]!.data]);
    // Skipping o1 changes exit1's answer (the path is really gone).
    const e1s = run(f.graphs[1]!, { inputs: { x }, params });
    expect([...e1s.outputs.get('output')!.data]).not.toEqual([...e1.outputs.get('output')!.data]);
  });

  it('the report: one row per sub-network, probabilities summing to 1, bigger sub-networks favoured', () => {
    const r = anytimeReport(g, bindDims(g, 1));
    expect(r.subnets).toHaveLength(6);
    expect(r.subnets.reduce((a, s) => a + s.probability, 0)).toBeCloseTo(1, 12);
    const p = new Map(r.subnets.map((s) => [s.name, s.probability]));
    expect(p.get('output')!).toBeGreaterThan(p.get('output -o1 -o2')!);
    expect(p.get('exit1')!).toBeGreaterThan(p.get('exit1 -o1')!);
  });

  it('errors: optional shapes must agree (MDL3016); a plain model is not anytime (MDL8701); exits answer like the output (MDL8703)', () => {
    const bad = compileText(`model m(x: Tensor[B, 6]) {
  return optional(linear(x, 4), x)
}`);
    expect(bad.diagnostics.map((d) => d.code)).toContain('MDL3016');
    const plain = checkedFamily(graphOf(`model m(x: Tensor[B, 6]) {\n  return linear(x, 3)\n}`));
    expect('code' in plain && plain.code).toBe('MDL8701');
    const wrong = checkedFamily(
      graphOf(`model m(x: Tensor[B, 6]) {
  e = exit(linear(x, 4))
  return linear(x, 3)
}`),
    );
    expect('code' in wrong && wrong.code).toBe('MDL8703');
  });
});

describe('mdl summary --anytime', () => {
  it('lists every sub-network with its cost and TIPS probability, as text and JSON', () => {
    const text = mdl('summary', 'examples/anytime_resnet_fmnist.mdl', '--anytime');
    expect(text.code).toBe(0);
    expect(text.out).toContain(
      '3 exits (exit1, exit2, output), 3 optional paths (skip1, skip2, skip3), 14 sub-networks',
    );
    expect(text.out).toMatch(/^output -skip1 -skip2 -skip3\s+75,002\s/m);
    const json = mdl('summary', 'examples/anytime_nb201_fmnist.mdl', '--anytime', '--json');
    expect(json.code).toBe(0);
    const r = JSON.parse(json.out) as { subnets: { name: string; macs: number; probability: number }[] };
    expect(r.subnets).toHaveLength(14);
    const macs = new Map(r.subnets.map((s) => [s.name, s.macs]));
    expect(macs.get('output')!).toBeGreaterThan(macs.get('output -skip3')!);
    const plain = mdl('summary', 'examples/resnet20.mdl', '--anytime');
    expect(plain.code).toBe(1);
    expect(plain.err).toContain('MDL8701');
  });
});
