// One sub-network of an anytime network as a static graph of its own: the IR → IR pass that
// answers at one exit and replaces each optional node by its path or its skip, then keeps only
// what the exit needs. Inputs keep their order; parameters and nodes keep their names, so
// the sub-network shares weights with the full network by name (checkpoints load into either).
import type { Graph, Node, Param, Value, ValueId } from '../ir/types.js';
import type { AnytimeStructure, Subnet } from './family.js';

export function specialise(g: Graph, s: AnytimeStructure, sub: Subnet): Graph {
  const skipped = new Set(sub.skipped);
  const alias: ValueId[] = g.values.map((v) => v.id);
  for (const n of g.nodes) {
    if (n.op === 'optional') alias[n.outputs[0]!] = alias[n.inputs[skipped.has(n.name) ? 1 : 0]!]!;
    else if (n.op === 'exit') alias[n.outputs[0]!] = alias[n.inputs[0]!]!;
  }
  const exit = s.exits[sub.exit]!;
  const outValue = alias[exit.value]!;
  // Liveness from the exit back.
  const needed = new Set<ValueId>([outValue]);
  const live = new Set<number>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (n.op === 'optional' || n.op === 'exit') continue;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    live.add(n.id);
    for (const v of n.inputs) needed.add(alias[v]!);
  }
  // Renumber: inputs always, parameters that live nodes use, outputs of live nodes.
  const newId = new Map<ValueId, ValueId>();
  const values: Value[] = [];
  const params: Param[] = [];
  const keep = (v: Value, node = -1) => {
    const id = values.length;
    newId.set(v.id, id);
    if (v.def.kind === 'param') {
      const p = g.params[v.def.param]!;
      const pid = params.length;
      params.push({ ...p, id: pid, value: id });
      values.push({ id, type: v.type, def: { kind: 'param', param: pid } });
    } else if (v.def.kind === 'node') values.push({ id, type: v.type, def: { ...v.def, node } });
    else values.push({ ...v, id });
  };
  for (const v of g.values) if (v.def.kind === 'input' || (v.def.kind === 'param' && needed.has(v.id))) keep(v);
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (!live.has(n.id)) continue;
    const id = nodes.length;
    for (const o of n.outputs) keep(g.values[o]!, id);
    nodes.push({
      ...n,
      id,
      inputs: n.inputs.map((v) => newId.get(alias[v]!)!),
      outputs: n.outputs.map((o) => newId.get(o)!),
    });
  }
  return {
    name: g.name,
    inputs: g.inputs.map((v) => newId.get(v)!),
    outputs: [{ name: g.outputs[0]?.name ?? 'output', value: newId.get(outValue)! }],
    values,
    nodes,
    params,
    symbols: g.symbols,
  };
}
