// The explore section: the official code's protocol as defaults, every setting checked with a
// located diagnostic, layer selectors as backward rules write them.
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../helpers/compile.js';
import { compileExploration } from '../../compiler/drivers/rashomon/compile.js';
import { linspace } from '../../compiler/rashomon/spec.js';
import { selectLayers } from '../../compiler/rashomon/select.js';

const MODEL = `model tiny(x: Tensor[B, 1, 28, 28]) {
  h = relu(conv2d(x, 2, 3) as "conv1")
  h = relu(linear(flatten(h), 12) as "fc1")
  return linear(h, 10) as "fc2"
}
`;

const explore = (body: string) =>
  compileExploration({ path: 'm.mdl', text: `${MODEL}\nexplore e {\n  model = tiny()\n${body}\n}\n` }, memoryHost({}));

describe('explore sections', () => {
  it("default to the official code's protocol", () => {
    const r = explore('');
    expect(r.diagnostics).toEqual([]);
    const s = r.spec!;
    expect(s.noise.kind).toBe('bernoulli');
    expect(s.noise.rates).toHaveLength(21);
    expect(s.noise.rates[20]).toBe(0.2);
    expect(s.noise.rates[1]).toBeCloseTo(0.01, 15);
    expect(s.models).toBe(100);
    expect(s.epsilons).toEqual(linspace(0, 0.04, 11));
    expect(s.data).toBe('mnist');
    expect(selectLayers(r.graph!, s.layers).map((n) => n.name)).toEqual(['conv1', 'fc1', 'fc2']);
  });

  it('take a noise kind, explicit rates, selectors and the ε grid', () => {
    const r = explore(`  noise = gaussian(rates=[0, 0.1, 0.25])
  layers = [(linear, "fc*"), "conv1"]
  epsilon_max = 0.1
  epsilon_steps = 3
  data = "fashion-mnist"
  models = 7
  seed = 3`);
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.noise).toEqual({ kind: 'gaussian', rates: [0, 0.1, 0.25] });
    expect(r.spec!.epsilons).toEqual([0, 0.05, 0.1]);
    expect(selectLayers(r.graph!, r.spec!.layers).map((n) => n.name)).toEqual(['conv1', 'fc1', 'fc2']);
    expect([r.spec!.data, r.spec!.models, r.spec!.seed]).toEqual(['fashion-mnist', 7, 3]);
    expect(explore('  noise = gaussian').spec!.noise.rates[20]).toBe(0.6);
  });

  it('report mistakes where they are', () => {
    const codes = (body: string) => explore(body).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(codes('  noise = bernoulli(max_rate=1.0)')).toEqual([
      'MDL3004 bernoulli(): a Bernoulli dropout rate must be in [0, 1), got 1',
    ]);
    expect(codes('  noise = bernoulli(p=0.1)')[0]).toMatch(/^MDL3001 bernoulli\(\) has no argument `p`/);
    expect(codes('  noise = "gaussian"')[0]).toMatch(/^MDL3004 `noise` must be bernoulli\(…\) or gaussian\(…\)/);
    expect(codes('  models = 0')[0]).toMatch(/^MDL3004 `models` must be an int ≥ 1/);
    expect(codes('  layers = 3')[0]).toMatch(/^MDL3004 `layers` selects layers by a name glob/);
    const d = explore('  epsilon = 0.1').diagnostics[0]!;
    expect(d.code).toBe('MDL3001');
    expect(d.hint).toContain('epsilon_max');
    expect(d.span!.start).toBeGreaterThan(MODEL.length);
  });
});
