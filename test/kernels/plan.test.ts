// The planner without a device: lowering coverage, the WGSL renderer, the memory plan's
// invariants, and splitting kernels that would break an adapter's binding limit (that one runs).
import { afterAll, describe, expect, it } from 'vitest';
import { graphOf, compileFile } from '../helpers/compile.js';
import { INTERNAL_OPS, OPS } from '../../compiler/ops/registry.js';
import { LOWERINGS } from '../../compiler/kernels/table.js';
import { planGraph, type Plan } from '../../compiler/kernels/plan.js';
import { DEFAULT_LIMITS, SOFTWARE_TARGET, GPU_TARGET, type Target } from '../../compiler/kernels/target.js';
import { renderWgsl } from '../../compiler/kernels/wgsl.js';
import { KernelBuilder } from '../../compiler/kernels/builder.js';
import * as E from '../../compiler/kernels/expr.js';
import { KernelError } from '../../compiler/kernels/lowering.js';
import { device, runBoth } from './harness.js';

let usedDevice = false;
afterAll(async () => {
  if (usedDevice) (await device()).device.destroy();
});

describe('the lowering table', () => {
  it('lowers every op of the language', () => {
    const missing = Object.keys(OPS).filter((op) => !(op in LOWERINGS));
    expect(missing).toEqual([]);
  });

  it('lists the internal (backward and optimizer) ops that still lack a lowering', () => {
    const missing = Object.keys(INTERNAL_OPS).filter((op) => !(op in LOWERINGS));
    // The backward half adds these; the list shrinks to nothing. Every name is a real op.
    for (const m of missing) expect(INTERNAL_OPS).toHaveProperty(m);
    expect(Object.keys(LOWERINGS).filter((op) => !(op in OPS || op in INTERNAL_OPS))).toEqual([]);
  });

  it('an op without a lowering is a KernelError naming the node', () => {
    const g = graphOf('model m(x: Tensor[2, 3]) {\n  return relu(x)\n}\n');
    const bad = { ...g, nodes: g.nodes.map((n) => ({ ...n, op: 'no_such_op' })) };
    expect(() => planGraph(bad, { target: SOFTWARE_TARGET })).toThrow(KernelError);
    expect(() => planGraph(bad, { target: SOFTWARE_TARGET })).toThrow(/no_such_op.*relu|relu.*no_such_op/);
  });

  it('an unbound symbolic dimension is a KernelError', () => {
    expect(() => planGraph(compileFile('examples/mlp.mdl').graph!, { target: SOFTWARE_TARGET })).toThrow(
      /symbolic dimension B/,
    );
  });
});

describe('the WGSL renderer', () => {
  it('prints finite float literals exactly and refuses infinities', () => {
    const b = new KernelBuilder('k');
    const out = b.binding(0, 'f32', true);
    b.store(out, E.i32(0), E.add(E.f32(0.1), E.f32(-3.4028234663852886e38)));
    b.store(out, E.i32(1), E.sel(E.lt(E.builtin('lid', 0), E.i32(3)), E.f32(1), E.f32(-0)));
    const w = renderWgsl(b.finish([1, 1, 1]).kernel);
    expect(w).toContain('0.10000000149011612f');
    expect(w).toContain('-3.4028234663852886e+38f');
    // WGSL's select takes (false, true, condition)
    expect(w).toContain('select(-0.0f, 1.0f, (i32(lid.x) < 3i))');
    expect(w).toContain('@group(0) @binding(0) var<storage, read_write> b0: array<f32>;');
    const bad = new KernelBuilder('k');
    bad.store(bad.binding(0, 'f32', true), E.i32(0), E.f32(Infinity));
    expect(() => renderWgsl(bad.finish([1, 1, 1]).kernel)).toThrow(/not finite/);
  });

  it('folds index arithmetic', () => {
    const x = E.ref('x', 'i32');
    expect(E.add(E.mul(x, E.i32(1)), E.i32(0))).toBe(x);
    expect(E.linear([E.i32(2), E.i32(3)], [10, 1], 5)).toEqual(E.i32(28));
    expect(E.unflatten(x, [1, 4])[0]).toEqual(E.i32(0));
  });

  it('a written buffer cannot also be bound as another element type', () => {
    const b = new KernelBuilder('k');
    b.binding(3, 'vec4f', false);
    expect(() => b.binding(3, 'f32', true)).toThrow(/written/);
  });
});

/** Checks that no two values live at the same time share a temporary buffer. */
function checkNoOverlap(plan: Plan): void {
  const temps = new Set(plan.buffers.filter((b) => b.role === 'temp').map((b) => b.id));
  // A buffer's holder changes only at kernels that write it; between writes every read must
  // see the value the last write put there. With one value per buffer per interval, each
  // kernel's temporary reads must come from buffers it does not also write.
  for (const d of plan.dispatches) {
    const bufs = d.bindings.flatMap((b) => ('buffer' in b ? [b.buffer] : []));
    const written = new Set(d.kernel.bindings.flatMap((b, i) => (b.kind === 'read_write' ? [bufs[i]!] : [])));
    const read = d.kernel.bindings.flatMap((b, i) => (b.kind === 'read' ? [bufs[i]!] : []));
    for (const r of read)
      if (temps.has(r)) expect(written.has(r), `${d.name} reads and writes buffer ${r}`).toBe(false);
  }
}

describe('the memory plan', () => {
  for (const [name, B] of [
    ['lenet5', 64],
    ['resnet20', 8],
    ['mlp', 128],
  ] as const)
    it(`${name}: temporaries reuse buffers, and the totals add up`, () => {
      const plan = planGraph(compileFile(`examples/${name}.mdl`).graph!, { target: SOFTWARE_TARGET, dims: { B } });
      const m = plan.memory;
      expect(m.totalBytes).toBe(plan.buffers.reduce((s, b) => s + b.bytes, 0));
      expect(m.totalBytes).toBe(m.inputBytes + m.paramBytes + m.stateBytes + m.tempBytes);
      expect(m.tempBytes).toBeGreaterThanOrEqual(m.liveLowerBound);
      // fewer buffers than materialised values (one per kernel here): reuse happens
      if (name !== 'mlp') expect(m.tempBuffers).toBeLessThan(plan.dispatches.length);
      checkNoOverlap(plan);
    });

  it('resnet20 at batch 8 needs far less than the sum of its activations', () => {
    const g = compileFile('examples/resnet20.mdl').graph!;
    const plan = planGraph(g, { target: SOFTWARE_TARGET, dims: { B: 8 } });
    const perImage = 16 * 32 * 32 * 4;
    // every block output is 16·32·32 floats per image or less; three such buffers suffice
    expect(plan.memory.tempBytes).toBeLessThanOrEqual(3 * 8 * perImage);
  });

  it('the executor allocates exactly the plan', async () => {
    usedDevice = true;
    const g = compileFile('examples/lenet5.mdl').graph!;
    const r = await runBoth(g, { dims: { B: 3 } });
    expect(r.executor.planBytes).toBe(r.plan.memory.totalBytes);
    r.executor.destroy();
  });
});

describe('adapter limits', () => {
  const tight = (n: number): Target => ({
    software: true,
    limits: { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: n },
  });
  const src =
    'model m(a: Tensor[4, 6], b: Tensor[4, 6], c: Tensor[4, 6], d: Tensor[4, 6], e: Tensor[4, 6], f: Tensor[6]) {\n  return relu(a * b + c - d) * e + f\n}\n';

  it('a fused chain within the limit is one kernel', () => {
    expect(planGraph(graphOf(src), { target: SOFTWARE_TARGET }).dispatches.length).toBe(1);
  });

  it('a fused chain over the limit is split, never broken, and still computes the same', async () => {
    usedDevice = true;
    for (const n of [4, 5]) {
      const plan = planGraph(graphOf(src), { target: tight(n) });
      expect(plan.dispatches.length).toBeGreaterThan(1);
      for (const d of plan.dispatches)
        expect(d.kernel.bindings.filter((b) => b.kind !== 'uniform').length).toBeLessThanOrEqual(n);
      const r = await runBoth(graphOf(src), { target: tight(n) });
      expect(r.err).toBeLessThan(1e-6);
      r.executor.destroy();
    }
  });

  it('kernels over the limit in different places are split in the same attempts, not one after the other', () => {
    // Two independent chains, each over a limit of 4 buffers: each attempt asks a value of each.
    const head =
      'model m(a: Tensor[4, 6], b: Tensor[4, 6], c: Tensor[4, 6], d: Tensor[4, 6], e: Tensor[4, 6], f: Tensor[6]) {\n';
    const [y, z] = ['relu(a * b + c - d) * e + f', 'relu(f - e * d + c) * b - a'];
    const plan = (body: string) => planGraph(graphOf(`${head}  ${body}\n}\n`), { target: tight(4) });
    const [one, other, both] = [plan(`return ${y}`), plan(`return ${z}`), plan(`return ${y}, ${z}`)];
    expect(one.attempts).toBeGreaterThan(2);
    for (const d of both.dispatches)
      expect(d.kernel.bindings.filter((b) => b.kind !== 'uniform').length).toBeLessThanOrEqual(4);
    expect(both.dispatches.length).toBe(one.dispatches.length + other.dispatches.length);
    expect(both.attempts).toBe(Math.max(one.attempts, other.attempts));
  });

  it('a single op that cannot fit is a clear error', () => {
    expect(() =>
      planGraph(graphOf('model m(a: Tensor[2, 2], b: Tensor[2, 3]) {\n  return linear(a, 3) + b\n}\n'), {
        target: tight(2),
      }),
    ).toThrow(/storage buffers/);
  });

  it('a tensor larger than a storage binding is a clear error at plan time', () => {
    const small: Target = { software: true, limits: { ...DEFAULT_LIMITS, maxStorageBufferBindingSize: 1024 } };
    expect(() => planGraph(graphOf('model m(x: Tensor[16, 32]) {\n  return relu(x)\n}\n'), { target: small })).toThrow(
      /storage binding limit/,
    );
  });

  it('plans for a GPU too (no software-only assumptions in the planner)', () => {
    const plan = planGraph(compileFile('examples/resnet20.mdl').graph!, { target: GPU_TARGET, dims: { B: 2 } });
    expect(plan.dispatches.length).toBe(21);
  });
});
