// The training graph of an anytime network: sub-networks are chosen per step by gates, graph
// inputs of shape [1] fed with 0 or 1, so one compiled plan trains every sub-network and nothing
// is recompiled per step. An optional node becomes where(gate, path, skip) and the exits are
// chosen by where(exit gate, exit logits, …) down to the last exit; with a gate at 1 `where`
// passes the chosen tensor through unchanged and sends the whole gradient to it, and exactly
// zero to the other, so a gated step computes the loss and the gradients of the sub-network
// compiled on its own (test/anytime/gates.test.ts checks it). What the gates leave out is still
// computed (the price of one plan), and its batchnorm running statistics still move; evaluation
// recalibrates them per sub-network.
//
// `copies` > 1 puts several gated copies of the network, sharing every parameter, into one
// graph: the sandwich rule trains several sub-networks per step with their gradients summed
// into one update. With `distill`, copy 0 (the largest sub-network) learns from the labels and
// every other copy from copy 0's soft outputs (in-place distillation: the soft cross-entropy
// −Σ_c softmax(z₀)_c · log_softmax(z_k)_c, averaged over the batch, with no gradient into z₀).
import { GraphEditor, RuleBuilder } from '../autodiff/builder.js';
import type { Graph, Value, ValueId } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';
import type { AnytimeStructure, Subnet } from './family.js';

export interface GateNames {
  /** Optional node name → its gate input. */
  readonly optional: ReadonlyMap<string, string>;
  /** The gate inputs of the exits but the last (the last answers when no exit gate is on). */
  readonly exits: readonly string[];
  /** The output holding this copy's logits. */
  readonly logits: string;
}

export interface GatedGraph {
  readonly graph: Graph;
  readonly copies: readonly GateNames[];
  /** `output` when the graph computes its own loss (distillation), else the logits. */
  readonly loss: 'cross_entropy' | 'output';
}

/** The graph's inputs and parameters without any node (values renumbered). */
function bare(g: Graph): { graph: Graph; map: Map<ValueId, ValueId> } {
  const map = new Map<ValueId, ValueId>();
  const values: Value[] = [];
  for (const v of g.values) {
    if (v.def.kind === 'node') continue;
    map.set(v.id, values.length);
    values.push({ ...v, id: values.length });
  }
  return {
    graph: {
      ...g,
      inputs: g.inputs.map((v) => map.get(v)!),
      outputs: [],
      values,
      nodes: [],
      params: g.params.map((p) => ({ ...p, value: map.get(p.value)! })),
    },
    map,
  };
}

export function gatedGraph(g: Graph, s: AnytimeStructure, copies = 1, distill = false): GatedGraph {
  const { graph: base, map } = bare(g);
  const ed = new GraphEditor(base);
  const b = new RuleBuilder(ed, true);
  b.tag = 'anytime';
  const gate = (name: string) => ed.addInput(name, { shape: [1], dtype: 'f32' });
  const names: GateNames[] = [];
  const logits: ValueId[] = [];
  for (let k = 0; k < copies; k++) {
    const suffix = copies === 1 ? '' : `#${k}`;
    const local = new Map<ValueId, ValueId>(map);
    const optional = new Map<string, string>();
    for (const n of g.nodes) {
      const ins = n.inputs.map((v) => local.get(v)!);
      if (n.op === 'optional') {
        const name = `gate:${n.name}${suffix}`;
        optional.set(n.name, name);
        local.set(n.outputs[0]!, b.op1('where', [gate(name), ins[0]!, ins[1]!]));
      } else if (n.op === 'exit') {
        local.set(n.outputs[0]!, ins[0]!);
      } else {
        const types = n.outputs.map((o) => g.values[o]!.type);
        const node = ed.addNode(n.op, `${n.name}${suffix}`, ins, n.dataInputs, types, n.attrs, n);
        n.outputs.forEach((o, i) => local.set(o, node.outputs[i]!));
      }
    }
    const exitValues = s.exits.map((e) => local.get(e.value)!);
    let out = exitValues.at(-1)!;
    const exits: string[] = [];
    for (let i = s.exits.length - 2; i >= 0; i--) {
      const name = `exit:${s.exits[i]!.name}${suffix}`;
      exits.unshift(name);
      out = b.op1('where', [gate(name), exitValues[i]!, out]);
    }
    logits.push(out);
    names.push({ optional, exits, logits: `logits${suffix}` });
    ed.outputs.push({ name: `logits${suffix}`, value: out });
  }
  if (distill && copies > 1) {
    const z0 = logits[0]!;
    const labels = ed.addInput('labels', { shape: [ed.type(z0).shape[0]!], dtype: 'i32' });
    let loss = b.op1('cross_entropy', [z0, labels]);
    const teacher = b.op1('softmax', [b.op1('stop_gradient', [z0])]);
    for (const z of logits.slice(1)) {
      const cross = b.op1('sum', [b.op1('mul', [teacher, b.op1('log_softmax', [z])])], { axes: [1] });
      loss = b.op1('sub', [loss, b.op1('mean', [cross], { axes: [0] })]);
    }
    ed.outputs.unshift({ name: 'loss', value: loss });
  }
  const graph = ed.finish(g.name);
  verifyGraph(graph);
  return { graph, copies: names, loss: distill && copies > 1 ? 'output' : 'cross_entropy' };
}

/** The gate values that select one sub-network in one copy. */
export function gateValues(s: AnytimeStructure, sub: Subnet, names: GateNames): Record<string, Float32Array> {
  const skipped = new Set(sub.skipped);
  const out: Record<string, Float32Array> = {};
  for (const [node, input] of names.optional) out[input] = Float32Array.of(skipped.has(node) ? 0 : 1);
  names.exits.forEach((input, i) => (out[input] = Float32Array.of(i === sub.exit ? 1 : 0)));
  return out;
}
