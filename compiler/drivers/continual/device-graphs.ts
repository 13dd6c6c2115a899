// The graphs that keep Online-LoRA's consolidation on the device (run.ts plans and runs them;
// tensors move between these plans and the training plan by GPU copies, not through the host):
//   importanceGraph  the importance plan's gradient graph plus, per adapter tensor, a buffer
//                    `<p>@G` and an output G + g⊙g that the driver copies back into it after each
//                    run, so the hard buffer's entries are summed on the device;
//   mergeGraph       per adapter W + s·B·A (the clean merge), and per adapter tensor
//                    G·(1/n) + (1 − 1/n)·Ω (the running average over plateaus), with 1/n the
//                    scalar input `inv_n`; the driver copies them into the training plan's W and Ω.
// Both are the host versions' arithmetic (consolidate.ts, importance.ts) as IR ops. The new values
// are outputs copied by the GPU rather than in-place updates: the planner updates in place only
// from elementwise kernels of their own (optimizer updates), and these are fused ops.
import { GraphEditor } from '../../autodiff/builder.js';
import { importanceBuffer } from '../../autodiff/optimizer.js';
import type { GradGraph } from '../../autodiff/grad.js';
import type { Attrs, Graph, ValueId } from '../../ir/types.js';
import { lookupOp } from '../../ops/registry.js';
import { verifyGraph } from '../../ops/verify.js';
import type { LoraAdapter } from '../../rewrites/index.js';

/** The buffer summing an adapter tensor's squared gradients over the hard buffer. */
export const gradSquares = (param: string): string => `${param}@G`;

/** The scalar input 1/n of the merge graph (n: the plateau's number, from 1). */
export const INV_N = 'inv_n';

/** A graph and where its outputs go after a run: output name → the parameter or buffer it replaces. */
export interface UpdatingGraph {
  readonly graph: Graph;
  readonly copies: ReadonlyMap<string, string>;
}

function nodeMaker(ed: GraphEditor, prefix: string) {
  return (op: string, inputs: readonly ValueId[], attrs: Attrs = {}): ValueId => {
    const def = lookupOp(op)!;
    const types = def.infer(
      inputs.map((v) => ed.type(v)),
      attrs,
    );
    return ed.addNode(op, prefix, inputs, inputs.length, types, attrs, undefined).outputs[0]!;
  };
}

/** The importance gradient graph with the squared-gradient sums `<p>@G` of `params`. */
export function importanceGraph(gg: GradGraph, params: readonly string[]): UpdatingGraph {
  const ed = new GraphEditor(gg.graph);
  const node = nodeMaker(ed, 'importance.G');
  const copies = new Map<string, string>();
  for (const p of params) {
    const g = gg.grads.get(p);
    if (g === undefined) throw new Error(`importanceGraph: no gradient for ${p}`);
    const shape = ed.type(g).shape.map((d) => (typeof d === 'number' ? d : NaN));
    if (shape.some(Number.isNaN)) throw new Error(`importanceGraph: the gradient of ${p} has a symbolic shape`);
    const G = ed.addBuffer(gradSquares(p), shape, { kind: 'zeros' });
    ed.outputs.push({ name: `G:${p}`, value: node('add', [G, node('mul', [g, g])]) });
    copies.set(`G:${p}`, gradSquares(p));
  }
  const graph = ed.finish(`${gg.graph.name}.importance`);
  verifyGraph(graph);
  return { graph, copies };
}

const EMPTY: Graph = { name: 'consolidate', inputs: [], outputs: [], values: [], nodes: [], params: [], symbols: [] };

/**
 * The merge at a plateau: W ← W + s·B·A for each adapter (when `merge`), and Ω ← G/n + (1 − 1/n)·Ω
 * for each adapter tensor. Its buffers carry the training plan's names (W, A, B, `<p>@importance`)
 * and `<p>@G`, so the driver copies them in and out by name.
 */
export function mergeGraph(
  adapters: readonly LoraAdapter[],
  shapes: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  merge: boolean,
): UpdatingGraph {
  const ed = new GraphEditor(EMPTY);
  const node = nodeMaker(ed, 'consolidate');
  const constant = (value: number) => node('constant', [], { value, shape: [] });
  const copies = new Map<string, string>();
  const shapeOf = (n: string) => shapes.get(n)!.shape;
  const buffer = (n: string, like = n) => ed.addBuffer(n, shapeOf(like), { kind: 'zeros' });
  const invN = ed.addInput(INV_N, { shape: [], dtype: 'f32' });
  const keep = node('sub', [constant(1), invN]);
  for (const ad of adapters) {
    if (merge) {
      const wShape = shapeOf(ad.weight);
      const W = buffer(ad.weight);
      const A = buffer(ad.a);
      const B = buffer(ad.b);
      const inner = shapeOf(ad.a).reduce((x, d) => x * d, 1) / ad.rank;
      const BA = node('matmul', [
        node('reshape', [B], { shape: [wShape[0]!, ad.rank] }),
        node('reshape', [A], { shape: [ad.rank, inner] }),
      ]);
      const delta = node('reshape', [node('mul', [BA, constant(ad.scale)])], { shape: [...wShape] });
      ed.outputs.push({ name: `merged:${ad.weight}`, value: node('add', [W, delta]) });
      copies.set(`merged:${ad.weight}`, ad.weight);
    }
    for (const p of [ad.a, ad.b]) {
      const omega = buffer(importanceBuffer(p), p);
      const G = buffer(gradSquares(p), p);
      const avg = node('add', [node('mul', [G, invN]), node('mul', [omega, keep])]);
      ed.outputs.push({ name: `omega:${p}`, value: avg });
      copies.set(`omega:${p}`, importanceBuffer(p));
    }
  }
  const graph = ed.finish('consolidate');
  verifyGraph(graph);
  return { graph, copies };
}
