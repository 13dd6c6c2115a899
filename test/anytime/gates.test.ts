// A gated training step equals the sub-network compiled on its own: the same loss and the same
// gradients (reference interpreter, training mode, batchnorm included), zero gradients for the
// parameters the sub-network leaves out; the distillation graph's loss is the label loss of the
// largest copy plus the soft cross-entropy of the others, and no gradient flows into the teacher.
import { describe, expect, it } from 'vitest';
import { anytimeFamily } from '../../compiler/anytime/analysis.js';
import { gatedGraph, gateValues } from '../../compiler/anytime/gates.js';
import { buildGradient } from '../../compiler/autodiff/grad.js';
import { run } from '../../compiler/interp/interpreter.js';
import { intTensor, tensor, type Tensor } from '../../compiler/reference/tensor.js';
import { graphOf } from '../helpers/compile.js';

const NET = `
block res(x: Tensor, c: int) {
  h = relu(batchnorm2d(conv2d(x, c, 3, padding=1, bias=false) as "conv") as "bn")
  return relu(x + h)
}
block head(x: Tensor) {
  return linear(flatten(global_avgpool(x)), 3) as "fc"
}
model net(x: Tensor[B, 1, 6, 6]) {
  h = relu(batchnorm2d(conv2d(x, 4, 3, padding=1) as "stem") as "bn0")
  h = optional(res(h, 4) as "r1", h) as "o1"
  e = exit(head(h) as "h1") as "exit1"
  h = conv2d(h, 4, 3, stride=2, padding=1) as "down"
  h = optional(res(h, 4) as "r2", h) as "o2"
  return head(h) as "h2"
}`;

const B = 4;
const x = tensor(
  [B, 1, 6, 6],
  Array.from({ length: B * 36 }, (_, i) => Math.sin(0.37 * i) + 0.1 * Math.cos(i)),
);
const labels = intTensor([B], [0, 2, 1, 2]);

function paramsOf(g: ReturnType<typeof graphOf>): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  g.params.forEach((p, k) => {
    const n = p.shape.reduce((a, d) => a * d, 1);
    const init = p.name.endsWith('running_var')
      ? Array(n).fill(1)
      : p.name.endsWith('running_mean')
        ? Array(n).fill(0)
        : Array.from({ length: n }, (_, i) => 0.4 * Math.sin(1.3 * i + k));
    m.set(p.name, tensor([...p.shape], init));
  });
  return m;
}

describe('gated training step', () => {
  const g = graphOf(NET);
  const f = anytimeFamily(g);
  const params = paramsOf(g);
  const gated = gatedGraph(g, f.structure);
  const gg = buildGradient(gated.graph, { loss: { kind: 'cross_entropy' } });

  it('equals every sub-network compiled on its own (loss and gradients)', () => {
    expect(f.subnets).toHaveLength(2 + 4);
    for (const [i, sub] of f.subnets.entries()) {
      const gates = Object.fromEntries(
        Object.entries(gateValues(f.structure, sub, gated.copies[0]!)).map(([k, v]) => [k, tensor([1], v)]),
      );
      const a = run(gg.graph, { inputs: { x, labels, ...gates }, params, training: true });
      const alone = buildGradient(f.graphs[i]!, { loss: { kind: 'cross_entropy' } });
      const b = run(alone.graph, { inputs: { x, labels }, params, training: true });
      const loss = a.outputs.get('loss')!.data[0]!;
      expect(loss, sub.name).toBeCloseTo(b.outputs.get('loss')!.data[0]!, 12);
      const own = new Set(f.graphs[i]!.params.map((p) => p.name));
      let zero = 0;
      for (const p of g.params.filter((q) => !q.buffer)) {
        const ga = [...a.outputs.get(`grad:${p.name}`)!.data];
        if (own.has(p.name)) {
          const gb = [...b.outputs.get(`grad:${p.name}`)!.data];
          ga.forEach((v, j) => expect(v, `${sub.name}: ${p.name}`).toBeCloseTo(gb[j]!, 12));
        } else {
          expect(
            ga.every((v) => v === 0),
            `${sub.name}: ${p.name} is left out`,
          ).toBe(true);
          zero++;
        }
      }
      // Every sub-network but the largest leaves some parameters out.
      if (sub.name !== 'output') expect(zero, sub.name).toBeGreaterThan(0);
    }
  });

  it('distillation: label loss of copy 0 plus the soft cross-entropy of the others, no gradient into the teacher', () => {
    const d = gatedGraph(g, f.structure, 2, true);
    const dg = buildGradient(d.graph, { loss: { kind: 'output', output: 'loss' } });
    const largest = f.subnets.findIndex((s) => s.name === 'output');
    const small = f.subnets.findIndex((s) => s.name === 'exit1 -o1');
    const gates = Object.fromEntries(
      [
        ...Object.entries(gateValues(f.structure, f.subnets[largest]!, d.copies[0]!)),
        ...Object.entries(gateValues(f.structure, f.subnets[small]!, d.copies[1]!)),
      ].map(([k, v]) => [k, tensor([1], v)]),
    );
    const r = run(dg.graph, { inputs: { x, labels, ...gates }, params, training: true });
    // The same loss by hand from the two sub-networks run on their own.
    const zl = run(f.graphs[largest]!, { inputs: { x }, params, training: true }).outputs.get('output')!;
    const zs = run(f.graphs[small]!, { inputs: { x }, params, training: true }).outputs.get('output')!;
    const logSoftmax = (t: Tensor, n: number) => {
      const row = [0, 1, 2].map((c) => t.data[n * 3 + c]!);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      return row.map((v) => v - lse);
    };
    let ce = 0;
    let soft = 0;
    for (let n = 0; n < B; n++) {
      const lp = logSoftmax(zl, n);
      ce -= lp[labels.data[n]!]! / B;
      const ls = logSoftmax(zs, n);
      soft -= lp.reduce((a, v, c) => a + Math.exp(v) * ls[c]!, 0) / B;
    }
    expect(r.outputs.get('loss')!.data[0]!).toBeCloseTo(ce + soft, 10);
    // The head of the last exit is not in the small sub-network: its gradient comes from the
    // label loss alone (the teacher's soft targets send nothing back).
    const alone = buildGradient(f.graphs[largest]!, { loss: { kind: 'cross_entropy' } });
    const b = run(alone.graph, { inputs: { x, labels }, params, training: true });
    const ga = [...r.outputs.get('grad:h2.fc.weight')!.data];
    const gb = [...b.outputs.get('grad:h2.fc.weight')!.data];
    ga.forEach((v, j) => expect(v).toBeCloseTo(gb[j]!, 12));
  });
});
