// Gradients with respect to internal values (`wrtValues`): ∂loss/∂a for a layer's output a,
// checked against what does not use the option —
// - the same network cut at a: its tail, with a as the input, differentiated with respect to
//   that input (`wrtInputs`), on the same parameters; a feeds two paths (batchnorm and a
//   residual sum), so both must be summed;
// - the chain rule through a conv's bias: ∂L/∂b_k = Σ over samples and positions of ∂L/∂a_k;
// - the softmax cross-entropy gradient of the logits, (softmax − onehot) / N.
import { describe, expect, it } from 'vitest';
import { AutodiffError } from '../../compiler/autodiff/builder.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { run } from '../../compiler/interp/interpreter.js';
import type { Graph, ValueId } from '../../compiler/ir/types.js';
import { initParams } from '../../compiler/reference/init.js';
import { intTensor, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';

const REST = `
  h = relu(batchnorm2d(a) as "bn1")
  h = conv2d(h, 4, 3, padding=1) as "c2"
  h = relu(batchnorm2d(h) as "bn2" + a)
  return linear(flatten(global_avgpool(h)), 5) as "fc"
}`;
const FULL = `
model full(x: Tensor[B, 3, 6, 6]) {
  a = conv2d(x, 4, 3, padding=1) as "c1"${REST}`;
const TAIL = `
model tail(a: Tensor[B, 4, 6, 6]) {${REST}`;
const N = 5;

const outputOf = (g: Graph, name: string): ValueId => g.nodes.find((n) => n.name === name)!.outputs[0]!;
const xs = tensor(
  [N, 3, 6, 6],
  Array.from({ length: N * 3 * 36 }, (_, i) => Math.sin(0.7 * i) + 0.3 * Math.cos(1.3 * i)),
);
const labels = intTensor([N], [0, 3, 1, 4, 3]);
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-12 * scale);
};

describe('gradients with respect to internal values', () => {
  const full = graphOf(FULL);
  const params = initParams(full, 7, 'f64');
  const a = outputOf(full, 'c1');
  const logits = outputOf(full, 'fc');
  const gg = buildGradient(full, { loss: { kind: 'cross_entropy' }, wrtValues: [a, logits], training: true });
  const r = run(gg.graph, { inputs: { x: xs, labels }, params, training: true, keepAll: true });
  const da = r.outputs.get(`grad:value:${a}`)!;

  it("equal the input gradient of the network's tail, cut at the value", () => {
    const tail = graphOf(TAIL);
    const tg = buildGradient(tail, {
      loss: { kind: 'cross_entropy' },
      params: false,
      wrtInputs: ['a'],
      training: true,
    });
    const tailParams = new Map<string, Tensor>(tail.params.map((p) => [p.name, params.get(p.name)!]));
    const t = run(tg.graph, { inputs: { a: r.values![a]!, labels }, params: tailParams, training: true });
    expect(t.outputs.get('loss')!.data[0]).toBe(r.outputs.get('loss')!.data[0]);
    close(da.data, t.outputs.get('grad:input:a')!.data);
    expect(gg.valueGrads.get(a)).toBe(gg.graph.outputs.find((o) => o.name === `grad:value:${a}`)!.value);
  });

  it("sum, per channel, to the gradient of the conv's bias", () => {
    const db = r.outputs.get('grad:c1.bias')!.data;
    const sums = new Float64Array(4);
    for (let i = 0; i < da.data.length; i++) sums[Math.floor(i / 36) % 4]! += da.data[i]!;
    close(sums, db);
  });

  it('of the logits are (softmax − onehot) / N', () => {
    const z = r.values![logits]!.data;
    const want: number[] = [];
    for (let n = 0; n < N; n++) {
      const row = Array.from(z.slice(n * 5, n * 5 + 5));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((p, q) => p + q, 0);
      e.forEach((v, k) => want.push((v / s - (k === labels.data[n] ? 1 : 0)) / N));
    }
    close(r.outputs.get(`grad:value:${logits}`)!.data, want);
  });

  it('need no parameter gradients, and are the same without them', () => {
    const only = buildGradient(full, {
      loss: { kind: 'cross_entropy' },
      params: false,
      wrtValues: [a],
      training: true,
    });
    expect(only.grads.size).toBe(0);
    expect(only.graph.outputs.map((o) => o.name)).toEqual(['output', 'loss', `grad:value:${a}`]);
    // Fewer backward nodes: no weight gradients are built.
    expect(only.graph.nodes.length).toBeLessThan(gg.graph.nodes.length);
    const o = run(only.graph, { inputs: { x: xs, labels }, params, training: true });
    close(o.outputs.get(`grad:value:${a}`)!.data, da.data);
  });

  it('are rejected for a value the graph does not have', () => {
    const grad = (v: ValueId) => () =>
      buildGradient(full, { loss: { kind: 'cross_entropy' }, params: false, wrtValues: [v] });
    expect(grad(full.values.length + 3)).toThrow(AutodiffError);
    expect(grad(full.values.length + 3)).toThrow(/has no value/);
  });
});
