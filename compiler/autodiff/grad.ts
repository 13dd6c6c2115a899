// Reverse-mode autodiff as an IR → IR pass. From a forward graph and a loss, builds one graph
// that computes the forward pass, the loss (a scalar output `loss`) and the gradients of the
// loss with respect to the trainable parameters (outputs `grad:<param>`) and, on request, to
// inputs (`grad:input:<name>`) and to internal values of the forward graph (`grad:value:<id>`). Every backward op comes from an op's VJP rule in the registry
// and is an ordinary IR op; the result passes the IR verifier and runs on the reference
// interpreter like any graph.
//
// Only what the gradients need is built: a value gets a cotangent only if it depends on a
// parameter or input being differentiated, and each VJP rule is told which of its inputs need
// one. So frozen parameters, buffers and inputs not asked for get no backward computation at all.
import { fail } from '../diagnostics/diagnostic.js';
import { formatShape, sameShape } from '../ir/shape.js';
import type { Graph, NodeId, TensorType, ValueId } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';
import { lookupOp } from '../ops/registry.js';
import type { VjpRule } from '../ops/types.js';
import type { Span } from '../source.js';
import { AutodiffError, GraphEditor, RuleBuilder } from './builder.js';

/** What the loss is. */
export type LossSpec =
  /** The graph's own scalar output (by name; by default its only output). */
  | { readonly kind: 'output'; readonly output?: string }
  /** Mean softmax cross-entropy of a logits output [N, C] against a new i32 input `labels` [N]. */
  | {
      readonly kind: 'cross_entropy';
      readonly output?: string;
      readonly labelSmoothing?: number;
      readonly labels?: string;
    }
  /** Mean squared error of an output against a new input `target` of its type. */
  | { readonly kind: 'mse'; readonly output?: string; readonly target?: string }
  /**
   * No scalar loss: a vector-Jacobian product. Each output `o` gets a new input `cot:<o>` of its
   * type, its cotangent; the gradients are then Σ_o ⟨cot:o, ∂o/∂θ⟩.
   */
  | { readonly kind: 'cotangents' };

export interface GradOptions {
  readonly loss: LossSpec;
  /** Differentiate the training-mode graph (batch statistics, dropout): default true. */
  readonly training?: boolean;
  /** Parameters to leave out, by name (besides buffers and parameters with `trainable: false`). */
  readonly frozen?: Iterable<string>;
  /** Whether to differentiate with respect to the parameters at all (default true). */
  readonly params?: boolean;
  /** Graph inputs (by name) to differentiate with respect to as well. */
  readonly wrtInputs?: Iterable<string>;
  /**
   * Values of the forward graph (by id: a layer's output, say) to differentiate with respect to
   * as well: ∂loss/∂v as if v were an input, through every path from v to the loss. Ids are
   * those of `g`, which the gradient graph keeps.
   */
  readonly wrtValues?: Iterable<ValueId>;
  /**
   * Backward rewrites (compiler/rewrites/): forward node → the rule that replaces its op's own
   * VJP. The rule gets the same contract (cotangents in, one cotangent per input that needs one).
   */
  readonly rules?: ReadonlyMap<NodeId, VjpRule>;
}

export interface GradGraph {
  /** Forward, loss and backward in one graph. */
  readonly graph: Graph;
  /** The loss value (absent for `cotangents`). */
  readonly loss: ValueId | undefined;
  /** Gradient value per differentiated parameter, by parameter name. */
  readonly grads: ReadonlyMap<string, ValueId>;
  /** Gradient value per differentiated input, by input name. */
  readonly inputGrads: ReadonlyMap<string, ValueId>;
  /** Gradient value per differentiated forward value, by its id. */
  readonly valueGrads: ReadonlyMap<ValueId, ValueId>;
  /** The inputs the loss added (labels, target, cotangents), by name. */
  readonly lossInputs: ReadonlyMap<string, ValueId>;
  /** The mode the graph was differentiated in; run it in the same mode. */
  readonly training: boolean;
  /** Nodes 0 … forwardNodes−1 are the forward pass and the loss; the rest are backward. */
  readonly forwardNodes: number;
  /** Each backward node → the forward (or loss) node whose VJP rule emitted it. */
  readonly origin: ReadonlyMap<NodeId, NodeId>;
}

/** Where a value comes from in the user's source: its layer's span (none for an input). */
function spanOf(g: Graph, v: ValueId): Span | undefined {
  const d = g.values[v]?.def;
  return d?.kind === 'node' ? g.nodes[d.node]?.span : undefined;
}

/**
 * A loss that does not fit the model (a user error, not a bug): a located diagnostic. The
 * model's output is where it was made, so the caret points at the layer that made it.
 */
function lossMisfit(g: Graph, v: ValueId | undefined, message: string): never {
  return fail('MDL6011', message, v === undefined ? undefined : spanOf(g, v));
}

function outputNamed(g: Graph, name: string | undefined, what: string): { name: string; value: ValueId } {
  if (name === undefined) {
    if (g.outputs.length !== 1)
      lossMisfit(
        g,
        g.outputs[1]?.value,
        `${what}: ${g.name} has ${g.outputs.length} outputs (${g.outputs.map((x) => x.name).join(', ')}); a loss takes one`,
      );
    return g.outputs[0]!;
  }
  const o = g.outputs.find((x) => x.name === name);
  if (!o)
    lossMisfit(
      g,
      undefined,
      `${what}: ${g.name} has no output \`${name}\` (its outputs: ${g.outputs.map((x) => x.name).join(', ')})`,
    );
  return o;
}

/** Builds the gradient graph of `g` for `opts.loss`. */
export function buildGradient(g: Graph, opts: GradOptions): GradGraph {
  const training = opts.training ?? true;
  const ed = new GraphEditor(g);
  const b = new RuleBuilder(ed, training);
  const lossInputs = new Map<string, ValueId>();
  const isFloat = (t: TensorType) => t.dtype !== 'i32';

  // 1. The loss.
  let loss: ValueId | undefined;
  const seeds = new Map<ValueId, ValueId>(); // value → the input holding its cotangent
  const spec = opts.loss;
  const addLossNode = (op: string, inputs: ValueId[], attrs: Record<string, number>) => {
    const def = lookupOp(op)!;
    const node = ed.addNode(
      op,
      'loss',
      inputs,
      inputs.length,
      def.infer(
        inputs.map((v) => ed.type(v)),
        attrs,
      ),
      attrs,
      undefined,
    );
    return node.outputs[0]!;
  };
  if (spec.kind === 'output') {
    const o = outputNamed(g, spec.output, 'loss');
    if (ed.type(o.value).shape.length !== 0)
      lossMisfit(
        g,
        o.value,
        `loss: output \`${o.name}\` of ${g.name} has shape ${formatShape(ed.type(o.value).shape)}; a loss is a scalar`,
      );
    if (!isFloat(ed.type(o.value)))
      lossMisfit(g, o.value, `loss: output \`${o.name}\` of ${g.name} is ${ed.type(o.value).dtype}; a loss is a float`);
    loss = o.value;
  } else if (spec.kind === 'cross_entropy') {
    const o = outputNamed(g, spec.output, 'cross_entropy loss');
    const t = ed.type(o.value);
    if (t.shape.length !== 2)
      lossMisfit(
        g,
        o.value,
        `cross_entropy loss: output \`${o.name}\` has shape ${formatShape(t.shape)}; logits are [N, C]`,
      );
    if (t.dtype !== 'f32')
      lossMisfit(g, o.value, `cross_entropy loss: output \`${o.name}\` is ${t.dtype}; logits are f32`);
    const labels = ed.addInput(spec.labels ?? 'labels', { shape: [t.shape[0]!], dtype: 'i32' });
    lossInputs.set(spec.labels ?? 'labels', labels);
    loss = addLossNode('cross_entropy', [o.value, labels], { label_smoothing: spec.labelSmoothing ?? 0 });
  } else if (spec.kind === 'mse') {
    const o = outputNamed(g, spec.output, 'mse loss');
    const target = ed.addInput(spec.target ?? 'target', ed.type(o.value));
    lossInputs.set(spec.target ?? 'target', target);
    loss = addLossNode('mse', [o.value, target], {});
  } else {
    for (const o of g.outputs) {
      if (!isFloat(ed.type(o.value))) continue;
      const c = ed.addInput(`cot:${o.name}`, ed.type(o.value));
      lossInputs.set(`cot:${o.name}`, c);
      seeds.set(o.value, c);
    }
  }
  // The step's loss is an output named `loss`. A model whose own output `loss` is that value
  // (a loss computed in the model, as a masked autoencoder's) keeps one; another value by that
  // name would make two outputs of one name.
  const named = g.outputs.find((o) => o.name === 'loss');
  if (loss !== undefined && named?.value !== loss) {
    if (named) lossMisfit(g, named.value, `${g.name} has an output named \`loss\` that is not the loss being trained`);
    ed.outputs.push({ name: 'loss', value: loss });
  }
  const forwardNodes = ed.nodes.length;

  // 2. What to differentiate with respect to.
  const frozen = new Set(opts.frozen ?? []);
  const wrtParams = new Map<ValueId, string>();
  if (opts.params ?? true)
    for (const p of g.params)
      if (!p.buffer && p.trainable && !frozen.has(p.name) && p.dtype !== 'i32') wrtParams.set(p.value, p.name);
  const wrtInputs = new Map<ValueId, string>();
  for (const name of opts.wrtInputs ?? []) {
    const id = ed.inputNamed(name);
    if (id === undefined || !g.inputs.includes(id))
      throw new AutodiffError(`gradient: ${g.name} has no input \`${name}\``);
    if (!isFloat(ed.type(id)))
      throw new AutodiffError(`gradient: input \`${name}\` is ${ed.type(id).dtype}; only float inputs have gradients`);
    wrtInputs.set(id, name);
  }
  const wrtValues = new Set<ValueId>();
  for (const id of opts.wrtValues ?? []) {
    const v = g.values[id];
    if (!v || v.id !== id) throw new AutodiffError(`gradient: ${g.name} has no value ${id}`);
    if (!isFloat(v.type))
      throw new AutodiffError(
        `gradient: value ${id} of ${g.name} is ${v.type.dtype}; only float values have gradients`,
      );
    wrtValues.add(id);
  }

  // 3. Which values depend on them (forward), so only those get cotangents.
  const req = new Set<ValueId>([...wrtParams.keys(), ...wrtInputs.keys(), ...wrtValues]);
  for (const n of ed.nodes.slice(0, forwardNodes))
    if (n.inputs.some((v) => req.has(v))) for (const o of n.outputs) if (isFloat(ed.type(o))) req.add(o);

  // 4. Cotangents, in reverse.
  const cot = new Map<ValueId, ValueId>();
  if (loss !== undefined) {
    const d = ed.values[loss]!.def;
    b.from = d.kind === 'node' ? ed.nodes[d.node] : undefined;
    b.tag = 'seed';
    if (req.has(loss)) cot.set(loss, b.constant(1));
  } else for (const [v, c] of seeds) if (req.has(v)) cot.set(v, c);
  for (let i = forwardNodes - 1; i >= 0; i--) {
    const n = ed.nodes[i]!;
    const cots = n.outputs.map((o) => cot.get(o) ?? null);
    if (cots.every((c) => c === null)) continue;
    const needs = n.inputs.map((v) => req.has(v));
    if (!needs.some(Boolean)) continue;
    const op = lookupOp(n.op)!;
    const rule = opts.rules?.get(n.id) ?? op.vjp;
    if (!rule)
      throw new AutodiffError(`cannot differentiate through layer \`${n.name}\`: op ${n.op} is not differentiable`);
    b.from = n;
    b.tag = 'vjp';
    const res = rule(b, n, cots, needs);
    if (res.length !== n.inputs.length)
      throw new AutodiffError(`the VJP of ${n.op} returned ${res.length} cotangents for ${n.inputs.length} inputs`);
    res.forEach((r, k) => {
      if (r === null) return;
      const v = n.inputs[k]!;
      if (!needs[k])
        throw new AutodiffError(
          `the VJP of ${n.op} (layer ${n.name}) computed a cotangent for input ${k}, which does not need one`,
        );
      if (!sameShape(ed.type(r).shape, ed.type(v).shape))
        throw new AutodiffError(
          `the VJP of ${n.op} (layer ${n.name}) gave input ${k} a cotangent of shape ${formatShape(ed.type(r).shape)}, not ${formatShape(ed.type(v).shape)}`,
        );
      cot.set(v, b.add(cot.get(v) ?? null, r)!);
    });
  }

  // 5. Outputs: one gradient per parameter, input and value asked for (zeros where the loss does not depend on it).
  b.from = undefined;
  b.tag = 'zero';
  const grads = new Map<string, ValueId>();
  const inputGrads = new Map<string, ValueId>();
  const result = (v: ValueId) => cot.get(v) ?? b.constant(0, ed.type(v).shape);
  for (const [v, name] of wrtParams) {
    const r = result(v);
    grads.set(name, r);
    ed.outputs.push({ name: `grad:${name}`, value: r });
  }
  for (const [v, name] of wrtInputs) {
    const r = result(v);
    inputGrads.set(name, r);
    ed.outputs.push({ name: `grad:input:${name}`, value: r });
  }
  const valueGrads = new Map<ValueId, ValueId>();
  for (const v of wrtValues) {
    const r = result(v);
    valueGrads.set(v, r);
    ed.outputs.push({ name: `grad:value:${v}`, value: r });
  }
  const graph = ed.finish(`${g.name}.grad`);
  verifyGraph(graph);
  return { graph, loss, grads, inputGrads, valueGrads, lossInputs, training, forwardNodes, origin: b.origin };
}
