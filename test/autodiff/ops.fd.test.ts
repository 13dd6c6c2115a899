// Every differentiable op's VJP and JVP rules against central finite differences in float64, on
// random shapes and attributes (test/autodiff/opcases.ts): a one-node graph is differentiated
// by the real passes (buildGradient with output cotangents, buildJvp) and run on the reference
// interpreter; the forward function of the differences is the interpreter too.
//   VJP: ∂/∂x_j Σ_o ⟨r_o, f_o(x)⟩ for random cotangents r, on up to 24 sampled coordinates j per input;
//   JVP: the derivative of f(x + d·t) at d = 0 for a random tangent t of every input at once.
// Both use the fourth-order central stencil (8(f(h) − f(−h)) − (f(2h) − f(−2h))) / 12h: the
// second-order one leaves a truncation error of h²·f'''/6, which for act_grad of |x|^0.1 at
// |x| ≈ 0.01 (second derivatives of x^-1.9) is ~1e-6 relative, the tolerance itself.
// The error is norm-wise: max|a − b| / max(max|a|, max|b|, 1e-3), required below 1e-6 (so an
// absolute 1e-9 where a gradient is nearly zero, e.g. layernorm of two values, where central
// differences have ~1e-11 of rounding error).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { completeAttrs } from '../../compiler/autodiff/builder.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { buildJvp } from '../../compiler/autodiff/jvp.js';
import { run } from '../../compiler/interp/interpreter.js';
import { Stream } from '../../runtime/random/philox.js';
import { relError, size, type Tensor } from '../../compiler/reference/tensor.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { ALL_OPS, getOp, INTERNAL_OPS, lookupOp, OPS } from '../../compiler/ops/registry.js';
import { NO_SPAN } from '../../compiler/source.js';
import { OP_CASES, type InputSpec, type OpCase } from './opcases.js';

const H = 1e-5;
const TOL = 1e-6;
const FLOOR = 1e-3;
/** The fourth-order central difference of f at 0 with step H. */
const stencil = (f: (d: number) => number) => (8 * (f(H) - f(-H)) - (f(2 * H) - f(-2 * H))) / (12 * H);
const worst = new Map<string, { vjp: number; jvp: number; runs: number }>();

function fill(spec: InputSpec, s: Stream, base: number): Tensor {
  const n = size(spec.shape);
  if (spec.fill === 'labels')
    return {
      shape: spec.shape,
      data: Int32Array.from({ length: n }, (_, i) => Math.floor(s.uniform(base + i) * spec.classes!)),
    };
  const data = new Float64Array(n);
  if (spec.fill === 'distinct') {
    // a shuffled grid with jitter: no two values within 0.08·scale, so no max-pooling near-ties
    // and no normalisation of nearly equal values
    const sc = spec.scale ?? 1;
    const order = [...Array(n).keys()].sort((a, b) => s.uniform(base + a) - s.uniform(base + b));
    order.forEach((k, i) => (data[k] = sc * ((i - n / 2) * 0.1 + 0.01 * s.uniform(base + n + i))));
    return { shape: spec.shape, data };
  }
  for (let i = 0; i < n; i++) {
    let v = s.normal(base + i) * (spec.scale ?? 1);
    if (spec.fill === 'positive') v = 0.5 + Math.abs(v);
    if (spec.fill === 'awayZero') v = (v < 0 ? -1 : 1) * (0.5 + Math.abs(v));
    for (const k of spec.kinks ?? []) if (Math.abs(v - k) < 0.01) v = k + (v < k ? -0.02 : 0.02);
    data[i] = v;
  }
  return { shape: spec.shape, data };
}

interface Built {
  g: Graph;
  specs: InputSpec[];
  names: string[];
  diff: string[];
  /** Which inputs are buffers (graph parameters), not graph inputs. */
  buffers: Set<string>;
}

/**
 * A one-node graph: every input of the node (data, then the op's parameters) is a graph input,
 * except buffers (batchnorm's running statistics), which stay buffer parameters.
 */
function opGraph(name: string, c: OpCase): Built {
  const op = lookupOp(name)!;
  const attrs = completeAttrs(op, c.attrs);
  const dataTypes = c.inputs.map((s) => ({
    shape: s.shape,
    dtype: s.fill === 'labels' ? ('i32' as const) : ('f32' as const),
  }));
  const pspecs = op.params?.(dataTypes, attrs) ?? [];
  const specs: InputSpec[] = [...c.inputs, ...pspecs.map((p, i) => c.params?.[i] ?? { shape: [...p.shape] })];
  const b = new GraphBuilder(`fd_${name}`);
  const names = specs.map((_, i) => `in${i}`);
  const buffers = new Set<string>();
  const ids = specs.map((s, i) => {
    const ps = pspecs[i - c.inputs.length];
    if (ps?.buffer) {
      buffers.add(names[i]!);
      return b.addParam(names[i]!, ps.shape, 'f32', ps.init, true);
    }
    return b.addInput(names[i]!, { shape: s.shape, dtype: s.fill === 'labels' ? 'i32' : 'f32' });
  });
  const node = b.addNode(name, name, ids, c.inputs.length, op.infer(dataTypes, attrs), attrs, NO_SPAN, []);
  node.outputs.forEach((o, k) => b.addOutput(`out${k}`, o));
  const diff = names.filter((n, i) => specs[i]!.fill !== 'labels' && !(c.nondiff ?? []).includes(i) && !buffers.has(n));
  return { g: b.finish(), specs, names, diff, buffers };
}

function checkOp(name: string, c: OpCase, seed: number): void {
  const { g, specs, names, diff, buffers } = opGraph(name, c);
  const s = new Stream(seed, name);
  const training = c.training ?? true;
  const inputs: Record<string, Tensor> = {};
  const params = new Map<string, Tensor>();
  specs.forEach((sp, i) =>
    buffers.has(names[i]!) ? params.set(names[i]!, fill(sp, s, 1000 * i)) : (inputs[names[i]!] = fill(sp, s, 1000 * i)),
  );
  const forward = (ins: Record<string, Tensor>) => run(g, { inputs: ins, params, training, seed: 7 }).outputs;
  const outs = forward(inputs);
  const cots = new Map<string, Tensor>();
  [...outs].forEach(([k, t], i) => cots.set(k, fill({ shape: [...t.shape] }, s, 100_000 + 1000 * i)));
  const dot = (o: Map<string, Tensor>) => {
    let acc = 0;
    for (const [k, t] of o) {
      const r = cots.get(k)!.data;
      for (let i = 0; i < t.data.length; i++) acc += r[i]! * t.data[i]!;
    }
    return acc;
  };
  const rec = worst.get(name) ?? { vjp: 0, jvp: 0, runs: 0 };
  rec.runs++;

  // VJP
  const gg = buildGradient(g, { loss: { kind: 'cotangents' }, params: false, wrtInputs: diff, training });
  const gi: Record<string, Tensor> = { ...inputs };
  for (const [k, t] of cots) gi[`cot:${k}`] = t;
  const gr = run(gg.graph, { inputs: gi, params, training, seed: 7 }).outputs;
  for (const inName of diff) {
    const x = inputs[inName]!;
    const grad = gr.get(`grad:input:${inName}`)!.data;
    const n = x.data.length;
    const coords =
      n <= 24 ? [...Array(n).keys()] : Array.from({ length: 24 }, (_, k) => Math.floor(s.uniform(500_000 + k) * n));
    const fd: number[] = [];
    const an: number[] = [];
    for (const j of coords) {
      const at = (d: number) => {
        const data = Float64Array.from(x.data);
        data[j]! += d;
        return dot(forward({ ...inputs, [inName]: { shape: x.shape, data } }));
      };
      fd.push(stencil(at));
      an.push(grad[j]!);
    }
    const e = relError(an, fd, FLOOR);
    if (process.env['MDL_FD_DEBUG'] && e > 1e-8)
      console.log('VJP', name, e, JSON.stringify(c), an.slice(0, 6), fd.slice(0, 6));
    rec.vjp = Math.max(rec.vjp, e);
    expect(e, `VJP of ${name} w.r.t. ${inName} ${JSON.stringify(c)}`).toBeLessThan(TOL);
  }

  // JVP
  const jg = buildJvp(g, { params: [], inputs: diff, training });
  const tangents: Record<string, Tensor> = {};
  diff.forEach((k, i) => (tangents[k] = fill({ shape: [...inputs[k]!.shape] }, s, 200_000 + 1000 * i)));
  const ji: Record<string, Tensor> = { ...inputs };
  for (const k of diff) ji[`tan:${k}`] = tangents[k]!;
  const jr = run(jg.graph, { inputs: ji, params, training, seed: 7 }).outputs;
  const shifted = (d: number) => {
    const ins: Record<string, Tensor> = { ...inputs };
    for (const k of diff)
      ins[k] = {
        shape: inputs[k]!.shape,
        data: Float64Array.from(inputs[k]!.data, (v, i) => v + d * tangents[k]!.data[i]!),
      };
    return forward(ins);
  };
  const at = new Map([H, -H, 2 * H, -2 * H].map((d) => [d, shifted(d)]));
  for (const [k, o] of outs) {
    if (o.data instanceof Int32Array) continue; // indices (token_mask) have no tangent
    const fd = Float64Array.from(o.data, (_, i) => stencil((d) => at.get(d)!.get(k)!.data[i]!));
    const e = relError(jr.get(`tan:${k}`)!.data, fd, FLOOR);
    rec.jvp = Math.max(rec.jvp, e);
    expect(e, `JVP of ${name}, output ${k} ${JSON.stringify(c)}`).toBeLessThan(TOL);
  }
  worst.set(name, rec);
}

describe('VJP and JVP rules against central finite differences (float64)', () => {
  for (const [name, arb] of Object.entries(OP_CASES))
    it(name, () => {
      fc.assert(
        fc.property(arb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, seed) => checkOp(name, c, seed)),
        { numRuns: Number(process.env['MDL_FD_RUNS'] ?? 60) },
      );
    });

  afterAll(() => {
    const rows = [...worst].map(
      ([k, v]) => `${k.padEnd(20)} vjp ${v.vjp.toExponential(1)}  jvp ${v.jvp.toExponential(1)}  (${v.runs} runs)`,
    );
    if (process.env['MDL_FD_REPORT']) console.log(`worst relative errors per op:\n${rows.join('\n')}`);
  });
});

describe('op registry: reference evaluation and derivative rules', () => {
  it('every op has eval, a VJP or an explicit null, and a JVP or an explicit null', () => {
    const ops = Object.entries(ALL_OPS);
    const lacking = (has: (op: (typeof ops)[number][1]) => boolean) => ops.filter(([, op]) => !has(op)).map(([n]) => n);
    expect(lacking((op) => typeof op.eval === 'function')).toEqual([]);
    expect(lacking((op) => op.vjp === null || typeof op.vjp === 'function')).toEqual([]);
    expect(lacking((op) => op.jvp === null || typeof op.jvp === 'function')).toEqual([]);
    // an op is differentiable in both modes or in neither
    expect(lacking((op) => (op.vjp === null) === (op.jvp === null))).toEqual([]);
  });

  it('internal ops are IR ops but not language ops: lookupOp finds them, getOp (the .mdl names) does not', () => {
    for (const name of Object.keys(INTERNAL_OPS)) {
      expect(name in OPS, name).toBe(false);
      expect(getOp(name), name).toBeUndefined();
      expect(lookupOp(name)?.name, name).toBe(name);
    }
    expect(lookupOp('conv2d')).toBe(OPS.conv2d);
    expect(lookupOp('toString')).toBeUndefined();
  });

  it('every differentiable op with inputs has finite-difference cases', () => {
    const differentiable = Object.entries(ALL_OPS)
      // stop_gradient's derivative is zero by definition, not the derivative of the identity it computes
      .filter(([name, op]) => op.vjp !== null && name !== 'constant' && name !== 'stop_gradient')
      .map(([name]) => name);
    expect(Object.keys(OP_CASES).sort()).toEqual(differentiable.sort());
  });

  it('the ops declared not differentiable are the backward ops that would need higher derivatives, and the optimizer updates', () => {
    const nondiff = Object.entries(ALL_OPS)
      .filter(([, op]) => op.vjp === null)
      .map(([name]) => name)
      .sort();
    expect(nondiff).toEqual([
      'act_grad2',
      'adam_update',
      'batchnorm2d_normalize',
      'cross_entropy_grad',
      'layernorm_normalize',
      'mse_grad',
      'patch_project',
      'patch_reconstruct',
      'sgd_update',
    ]);
  });
});
