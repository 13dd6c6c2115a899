// The IR as a Graphviz DOT picture: one box per layer with its op and output shape, block
// calls drawn as nested clusters, parameters folded into their layer.
import { formatShape } from '../ir/shape.js';
import type { Graph, Node, ValueId } from '../ir/types.js';

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function toDot(g: Graph): string {
  const producer = new Map<ValueId, string>();
  g.inputs.forEach((id) => producer.set(id, `in_${id}`));
  g.nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, `n${n.id}`)));

  // Build the cluster tree from each node's scope path.
  interface Cluster {
    name: string;
    nodes: Node[];
    children: Map<string, Cluster>;
  }
  const root: Cluster = { name: '', nodes: [], children: new Map() };
  for (const n of g.nodes) {
    if (n.op === 'constant') continue;
    let c = root;
    for (const s of n.scope) {
      if (!c.children.has(s)) c.children.set(s, { name: s, nodes: [], children: new Map() });
      c = c.children.get(s)!;
    }
    c.nodes.push(n);
  }
  const lines: string[] = [
    `digraph "${esc(g.name)}" {`,
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica", fontsize=10];',
  ];
  for (const id of g.inputs) {
    const v = g.values[id]!;
    const name = v.def.kind === 'input' ? v.def.name : String(id);
    lines.push(
      `  in_${id} [label="${esc(name)}\\n${esc(formatShape(v.type.shape))}", shape=ellipse, fillcolor="#dde8f7"];`,
    );
  }
  let k = 0;
  const emit = (c: Cluster, indent: string) => {
    for (const n of c.nodes) {
      const shape = formatShape(g.values[n.outputs[0]!]!.type.shape);
      lines.push(`${indent}n${n.id} [label="${esc(n.name)}\\n${n.op} → ${esc(shape)}"];`);
    }
    for (const child of c.children.values()) {
      lines.push(
        `${indent}subgraph cluster_${k++} {`,
        `${indent}  label="${esc(child.name)}"; style="rounded"; color="#999999";`,
      );
      emit(child, indent + '  ');
      lines.push(`${indent}}`);
    }
  };
  emit(root, '  ');
  for (const n of g.nodes) {
    if (n.op === 'constant') continue;
    for (const v of n.inputs.slice(0, n.dataInputs)) {
      const from = producer.get(v);
      const d = g.values[v]!.def;
      if (from && !(d.kind === 'node' && g.nodes[d.node]!.op === 'constant')) lines.push(`  ${from} -> n${n.id};`);
    }
  }
  g.outputs.forEach((o, i) => {
    lines.push(`  out_${i} [label="${esc(o.name)}", shape=ellipse, fillcolor="#e3f1e0"];`);
    lines.push(`  ${producer.get(o.value)} -> out_${i};`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}
