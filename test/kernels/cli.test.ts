// `mdl kernels` as a user meets it: a real process, exit codes, no stack traces.
import { describe, expect, it } from 'vitest';
import { mdl } from '../helpers/cli.js';

describe('mdl kernels', () => {
  it('lists the kernels, what each fuses, and the memory plan', () => {
    const r = mdl('kernels', 'examples/lenet5.mdl', '--batch', '4', '--target', 'software');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fc1→h_3 .* fc1 \+ h_3/);
    expect(r.out).toContain('7 kernels');
    expect(r.out).toMatch(/memory: .* allocated = params/);
  });

  it('plans a whole training step, and prints WGSL or JSON on request', () => {
    const t = mdl('kernels', 'examples/mlp.mdl', '--train', '--optimizer', 'adam', '--target', 'software');
    expect(t.code).toBe(0);
    expect(t.out).toContain('one training step');
    expect(t.out).toContain('optim.net.0.weight');
    const w = mdl('kernels', 'examples/mlp.mdl', '--target', 'gpu', '--wgsl');
    expect(w.out).toContain('@compute @workgroup_size(');
    const j = JSON.parse(mdl('kernels', 'examples/mlp.mdl', '--target', 'software', '--json').out) as {
      dispatches: unknown[];
      memory: { totalBytes: number };
    };
    expect(j.dispatches).toHaveLength(2);
    expect(j.memory.totalBytes).toBeGreaterThan(0);
  });

  it('bad flags are usage errors', () => {
    const r = mdl('kernels', 'examples/mlp.mdl', '--target', 'tpu');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown target');
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
