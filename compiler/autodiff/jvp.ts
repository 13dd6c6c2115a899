// Forward-mode autodiff (Jacobian-vector products) as an IR → IR pass. Each parameter or input
// differentiated gets a tangent input `tan:<name>` of its type; the graph computes the forward
// pass and, from each op's JVP rule, the tangent of every output, `tan:<output>`. Later work
// (NTK linearisation, Jacobian-based proxies) builds on it.
import { formatShape, sameShape } from '../ir/shape.js';
import type { Graph, NodeId, ValueId } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';
import { lookupOp } from '../ops/registry.js';
import { AutodiffError, GraphEditor, RuleBuilder } from './builder.js';

export interface JvpOptions {
  /** Parameters with tangents, by name (default: every trainable parameter). */
  readonly params?: Iterable<string>;
  /** Inputs with tangents, by name (default none). */
  readonly inputs?: Iterable<string>;
  /** Differentiate the training-mode graph (default true). */
  readonly training?: boolean;
}

export interface JvpGraph {
  readonly graph: Graph;
  /** The tangent input of each differentiated parameter or input, by its name. */
  readonly tangentInputs: ReadonlyMap<string, ValueId>;
  /** The tangent of each output, by output name. */
  readonly outputTangents: ReadonlyMap<string, ValueId>;
  readonly training: boolean;
  readonly forwardNodes: number;
  readonly origin: ReadonlyMap<NodeId, NodeId>;
}

export function buildJvp(g: Graph, opts: JvpOptions = {}): JvpGraph {
  const training = opts.training ?? true;
  const ed = new GraphEditor(g);
  const b = new RuleBuilder(ed, training);
  b.tag = 'jvp';
  const tan = new Map<ValueId, ValueId>();
  const tangentInputs = new Map<string, ValueId>();
  const wanted = opts.params ? new Set(opts.params) : undefined;
  for (const p of g.params) {
    if (p.buffer || p.dtype === 'i32') continue;
    if (wanted ? !wanted.has(p.name) : !p.trainable) continue;
    const t = ed.addInput(`tan:${p.name}`, ed.type(p.value));
    tan.set(p.value, t);
    tangentInputs.set(p.name, t);
  }
  if (wanted)
    for (const name of wanted)
      if (!tangentInputs.has(name)) throw new AutodiffError(`jvp: ${g.name} has no trainable parameter \`${name}\``);
  for (const name of opts.inputs ?? []) {
    const id = ed.inputNamed(name);
    if (id === undefined || ed.type(id).dtype === 'i32')
      throw new AutodiffError(`jvp: ${g.name} has no float input \`${name}\``);
    const t = ed.addInput(`tan:${name}`, ed.type(id));
    tan.set(id, t);
    tangentInputs.set(name, t);
  }
  const forwardNodes = ed.nodes.length;
  for (let i = 0; i < forwardNodes; i++) {
    const n = ed.nodes[i]!;
    const ts = n.inputs.map((v) => tan.get(v) ?? null);
    if (ts.every((t) => t === null)) continue;
    const op = lookupOp(n.op)!;
    if (!op.jvp)
      throw new AutodiffError(`cannot differentiate through layer \`${n.name}\`: op ${n.op} is not differentiable`);
    b.from = n;
    const res = op.jvp(b, n, ts);
    if (res.length !== n.outputs.length)
      throw new AutodiffError(`the JVP of ${n.op} returned ${res.length} tangents for ${n.outputs.length} outputs`);
    res.forEach((r, k) => {
      if (r === null) return;
      const o = n.outputs[k]!;
      if (!sameShape(ed.type(r).shape, ed.type(o).shape))
        throw new AutodiffError(
          `the JVP of ${n.op} (layer ${n.name}) gave output ${k} a tangent of shape ${formatShape(ed.type(r).shape)}, not ${formatShape(ed.type(o).shape)}`,
        );
      tan.set(o, r);
    });
  }
  b.from = undefined;
  b.tag = 'zero';
  const outputTangents = new Map<string, ValueId>();
  for (const o of g.outputs) {
    if (ed.type(o.value).dtype === 'i32') continue;
    const t = tan.get(o.value) ?? b.constant(0, ed.type(o.value).shape);
    outputTangents.set(o.name, t);
    ed.outputs.push({ name: `tan:${o.name}`, value: t });
  }
  const graph = ed.finish(`${g.name}.jvp`);
  verifyGraph(graph);
  return { graph, tangentInputs, outputTangents, training, forwardNodes, origin: b.origin };
}
