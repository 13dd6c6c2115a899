// The shape of gradient graphs: only what the gradients need is built (frozen parameters,
// buffers and inputs not asked for get no backward ops), shared weights accumulate, errors
// name the layer, and forward mode agrees with reverse mode on whole models.
import { describe, expect, it } from 'vitest';
import { AutodiffError, GraphEditor, RuleBuilder } from '../../compiler/autodiff/builder.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { buildJvp } from '../../compiler/autodiff/jvp.js';
import { INT } from '../../compiler/elaborate/values.js';
import { initParams } from '../../compiler/reference/init.js';
import { run } from '../../compiler/interp/interpreter.js';
import { Stream } from '../../runtime/random/philox.js';
import { intTensor, size, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Graph } from '../../compiler/ir/types.js';
import { NO_SPAN } from '../../compiler/source.js';
import { compileFile, graphOf } from '../helpers/compile.js';

const lenet = () => compileFile('examples/lenet5.mdl').graph!;

function backwardOrigins(gg: ReturnType<typeof buildGradient>): Set<string> {
  const names = new Set<string>();
  for (const n of gg.graph.nodes.slice(gg.forwardNodes)) {
    const o = gg.origin.get(n.id);
    names.add(o === undefined ? `(${n.op})` : gg.graph.nodes[o]!.name);
  }
  return names;
}

function randomInput(g: Graph, batch: number, seed: number): Tensor {
  const s = new Stream(seed, 'x');
  const shape = g.values[g.inputs[0]!]!.type.shape.map((d) => (typeof d === 'number' ? d : batch));
  return tensor(
    shape,
    Array.from({ length: size(shape) }, (_, i) => s.normal(i)),
  );
}

describe('gradient graphs', () => {
  it('frozen parameters get no backward computation at all', () => {
    const g = lenet();
    const all = buildGradient(g, { loss: { kind: 'cross_entropy' } });
    const frozen = buildGradient(g, {
      loss: { kind: 'cross_entropy' },
      frozen: ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias'],
    });
    expect([...frozen.grads.keys()].sort()).toEqual([
      'fc1.bias',
      'fc1.weight',
      'fc2.bias',
      'fc2.weight',
      'fc3.bias',
      'fc3.weight',
    ]);
    // nothing is emitted for the layers before fc1, and fc1 computes no input gradient
    expect([...backwardOrigins(frozen)].sort()).toEqual(['fc1', 'fc2', 'fc3', 'h_3', 'h_4', 'loss']);
    const ops = (gg: typeof all) => gg.graph.nodes.slice(gg.forwardNodes).map((n) => n.op);
    expect(ops(frozen)).not.toContain('conv2d_grad_weight');
    expect(ops(frozen)).not.toContain('maxpool2d_grad');
    expect(ops(frozen).filter((o) => o === 'linear')).toHaveLength(2); // dx of fc3 and fc2 only
    expect(ops(all).filter((o) => o === 'conv2d_grad_weight')).toHaveLength(2);
    expect(ops(all).filter((o) => o === 'conv2d_grad_input')).toHaveLength(1); // conv2's; x is not asked for
    // the gradients that remain are the same numbers
    const params = initParams(g, 0);
    const inputs = { x: randomInput(g, 2, 1), labels: intTensor([2], [3, 7]) };
    const a = run(all.graph, { inputs, params, training: true }).outputs;
    const b = run(frozen.graph, { inputs, params, training: true }).outputs;
    expect(Array.from(b.get('grad:fc1.weight')!.data)).toEqual(Array.from(a.get('grad:fc1.weight')!.data));
  });

  it('respects trainable: false and never differentiates buffers', () => {
    const g = compileFile('examples/resnet20.mdl', { args: new Map([['blocks_per_stage', INT(1)]]) }).graph!;
    const gg = buildGradient(g, { loss: { kind: 'cross_entropy' } });
    expect([...gg.grads.keys()].some((k) => k.includes('running'))).toBe(false);
    expect([...gg.grads.keys()].sort()).toEqual(
      g.params
        .filter((p) => !p.buffer)
        .map((p) => p.name)
        .sort(),
    );
    const g2: Graph = {
      ...g,
      params: g.params.map((p) => (p.name === 'linear.weight' ? { ...p, trainable: false } : p)),
    };
    expect(buildGradient(g2, { loss: { kind: 'cross_entropy' } }).grads.has('linear.weight')).toBe(false);
  });

  it('input gradients only on request; an i32 or unknown input is refused', () => {
    const g = lenet();
    expect(buildGradient(g, { loss: { kind: 'cross_entropy' } }).inputGrads.size).toBe(0);
    expect([...buildGradient(g, { loss: { kind: 'cross_entropy' }, wrtInputs: ['x'] }).inputGrads.keys()]).toEqual([
      'x',
    ]);
    expect(() => buildGradient(g, { loss: { kind: 'cross_entropy' }, wrtInputs: ['labels'] })).toThrow(
      /no input `labels`/,
    );
    expect(() => buildGradient(g, { loss: { kind: 'cross_entropy' }, wrtInputs: ['y'] })).toThrow(AutodiffError);
    expect(() => buildGradient(g, { loss: { kind: 'output' } })).toThrow(/a loss is a scalar/);
  });

  it('a shared weight accumulates the gradients of both uses', () => {
    const g = graphOf(
      'model m(x: Tensor[B, 3]) {\n  h = tanh(linear(x, 3) as "enc")\n  return linear(h, 3, share="enc") as "dec"\n}',
    );
    expect(g.params.map((p) => p.name)).toEqual(['enc.weight', 'enc.bias']);
    const gg = buildGradient(g, { loss: { kind: 'mse' } });
    const params = initParams(g, 2);
    const inputs = { x: tensor([2, 3], [1, -2, 0.5, 0.3, 0.1, -1]), target: tensor([2, 3], [0, 1, 0, 1, 0, 0]) };
    const grad = run(gg.graph, { inputs, params, training: true }).outputs.get('grad:enc.weight')!.data;
    const lossG = buildGradient(g, { loss: { kind: 'mse' }, params: false }).graph;
    const h = 1e-6;
    for (const j of [0, 4, 8]) {
      const at = (d: number) => {
        const w = params.get('enc.weight')!;
        const ps = new Map(params).set('enc.weight', {
          shape: w.shape,
          data: Float64Array.from(w.data, (v, i) => (i === j ? v + d : v)),
        });
        return run(lossG, { inputs, params: ps }).outputs.get('loss')!.data[0]!;
      };
      expect(grad[j]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 8);
    }
  });

  it('refuses to differentiate through an op declared not differentiable, naming the layer', () => {
    const b = new GraphBuilder('m');
    const x = b.addInput('x', { shape: [2], dtype: 'f32' });
    const n = b.addNode('act_grad2', 'third', [x, x], 2, [{ shape: [2], dtype: 'f32' }], { fn: 'tanh' }, NO_SPAN, []);
    b.addOutput('y', n.outputs[0]!);
    expect(() => buildGradient(b.finish(), { loss: { kind: 'cotangents' }, wrtInputs: ['x'] })).toThrow(
      /layer `third`: op act_grad2 is not differentiable/,
    );
  });

  it('backward nodes follow the forward ones, are attributed to a forward node and are named after it', () => {
    const gg = buildGradient(lenet(), { loss: { kind: 'cross_entropy' } });
    for (const n of gg.graph.nodes.slice(gg.forwardNodes)) {
      const o = gg.origin.get(n.id);
      if (o === undefined) continue; // zero gradients of parameters the loss does not reach
      expect(o).toBeLessThan(gg.forwardNodes);
      expect(n.name.startsWith(`${gg.graph.nodes[o]!.name}.`)).toBe(true);
    }
    expect(gg.graph.nodes.find((n) => n.name === 'conv1.vjp.conv2d_grad_weight')).toBeDefined();
  });
});

describe('forward mode agrees with reverse mode on whole models', () => {
  for (const [file, args, batch] of [
    ['examples/resnet20.mdl', [['blocks_per_stage', 1]], 2],
    [
      'examples/vit_ti16.mdl',
      [
        ['depth', 1],
        ['dim', 48],
        ['heads', 3],
        ['num_classes', 10],
      ],
      1,
    ],
  ] as const)
    it(`${file}: the JVP of the loss along v equals ⟨∇L, v⟩`, () => {
      const g = compileFile(file, { args: new Map(args.map(([k, v]) => [k, INT(v)])) }).graph!;
      const params = initParams(g, 5);
      const inputs: Record<string, Tensor> = {
        x: randomInput(g, batch, 2),
        labels: intTensor(
          [batch],
          Array.from({ length: batch }, (_, i) => i + 1),
        ),
      };
      const gg = buildGradient(g, { loss: { kind: 'cross_entropy' } });
      const grads = run(gg.graph, { inputs, params, training: true }).outputs;
      const lossG = buildGradient(g, { loss: { kind: 'cross_entropy' }, params: false }).graph;
      const jg = buildJvp(lossG);
      const s = new Stream(9, 'v');
      let dot = 0;
      let k = 0;
      for (const name of jg.tangentInputs.keys()) {
        const p = params.get(name)!;
        const v = tensor(
          p.shape,
          Array.from({ length: p.data.length }, (_, i) => s.normal(1e7 * k + i)),
        );
        k++;
        inputs[`tan:${name}`] = v;
        const gr = grads.get(`grad:${name}`)!.data;
        for (let i = 0; i < v.data.length; i++) dot += v.data[i]! * gr[i]!;
      }
      const tan = run(jg.graph, { inputs, params, training: true }).outputs.get('tan:loss')!.data[0]!;
      expect(Math.abs(tan - dot) / Math.abs(dot)).toBeLessThan(1e-10);
    });
});

describe('second order', () => {
  it('a gradient graph differentiates again: Hessian-vector products of an MLP match finite differences of gradients', () => {
    const g = graphOf(
      'model m(x: Tensor[B, 4]) {\n  h = gelu(linear(x, 5) as "a")\n  h = tanh(linear(h, 3) as "b")\n  return linear(silu(h), 2) as "c"\n}',
    );
    // first order: grad_θ ⟨r, f(x; θ)⟩
    const gg = buildGradient(g, { loss: { kind: 'cotangents' } });
    // s = Σ_p ⟨grad_p, v_p⟩, then grad_θ s = H·v
    const ed = new GraphEditor(gg.graph);
    const b = new RuleBuilder(ed, true);
    let dot: number | null = null;
    for (const [name, gv] of gg.grads) {
      const v = ed.addInput(`v:${name}`, ed.type(gv));
      const r = ed.type(gv).shape.length;
      dot = b.add(dot, b.op1('sum', [b.op1('mul', [gv, v])], { axes: Array.from({ length: r }, (_, i) => i) }));
    }
    ed.outputs.push({ name: 'dot', value: dot! });
    const hvp = buildGradient(ed.finish('hvp'), { loss: { kind: 'output', output: 'dot' } });
    const s = new Stream(4, 'hvp');
    const params = initParams(g, 6);
    const inputs: Record<string, Tensor> = {
      x: tensor(
        [3, 4],
        Array.from({ length: 12 }, (_, i) => s.normal(i)),
      ),
      'cot:output': tensor(
        [3, 2],
        Array.from({ length: 6 }, (_, i) => s.normal(100 + i)),
      ),
    };
    let k = 0;
    for (const [name] of gg.grads) {
      const p = params.get(name)!;
      inputs[`v:${name}`] = tensor(
        p.shape,
        Array.from({ length: p.data.length }, (_, i) => s.normal(1000 * ++k + i)),
      );
    }
    const hv = run(hvp.graph, { inputs, params, training: true }).outputs;
    const gradAt = (h: number) => {
      const ps = new Map(params);
      for (const [name] of gg.grads)
        ps.set(name, {
          shape: params.get(name)!.shape,
          data: Float64Array.from(params.get(name)!.data, (x, i) => x + h * inputs[`v:${name}`]!.data[i]!),
        });
      return run(gg.graph, { inputs, params: ps, training: true }).outputs;
    };
    const h = 1e-5;
    const plus = gradAt(h);
    const minus = gradAt(-h);
    for (const [name] of gg.grads) {
      const fd = Float64Array.from(
        plus.get(`grad:${name}`)!.data,
        (x, i) => (x - minus.get(`grad:${name}`)!.data[i]!) / (2 * h),
      );
      const got = hv.get(`grad:${name}`)!.data;
      let err = 0;
      let scale = 1e-3;
      for (let i = 0; i < fd.length; i++) {
        err = Math.max(err, Math.abs(fd[i]! - got[i]!));
        scale = Math.max(scale, Math.abs(fd[i]!));
      }
      expect(err / scale, name).toBeLessThan(1e-6);
    }
    expect(hvp.graph.nodes.some((n) => n.op === 'act_grad2')).toBe(true);
  });
});
