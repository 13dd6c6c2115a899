// Rebuilding a forward graph node by node, so a pass can put new nodes right after the layer
// they belong to (LoRA adapters) — the IR is append-only SSA with node ids in order, so inserting
// means re-emitting. Inputs and parameters keep their names and order; nodes keep their names,
// spans and scopes; the pass returns the values that replace a node's outputs.
import { GraphEditor, RuleBuilder } from '../autodiff/builder.js';
import type { Graph, Init, Node, Param, Value, ValueId } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';

export interface Rebuilder {
  readonly b: RuleBuilder;
  readonly ed: GraphEditor;
  /** The new value of an old one. */
  map(v: ValueId): ValueId;
  /** A new trainable parameter (adapters); returns its value. */
  addParam(name: string, shape: readonly number[], init: Init): ValueId;
}

/**
 * Re-emits `g`; for each node, `visit` may emit a replacement (through `r.b`, with the node's
 * already re-emitted outputs given) and return the values that stand for its outputs from then on.
 */
export function rebuild(
  g: Graph,
  name: string,
  visit: (n: Node, outs: readonly ValueId[], r: Rebuilder) => readonly ValueId[] | undefined,
): Graph {
  const values: Value[] = [];
  const params: Param[] = [];
  const inputs: ValueId[] = [];
  const map = new Map<ValueId, ValueId>();
  for (const id of g.inputs) {
    const v = g.values[id]!;
    map.set(id, values.length);
    inputs.push(values.length);
    values.push({ id: values.length, type: v.type, def: v.def });
  }
  for (const p of g.params) {
    map.set(p.value, values.length);
    values.push({ id: values.length, type: g.values[p.value]!.type, def: { kind: 'param', param: params.length } });
    params.push({ ...p, id: params.length, value: values.length - 1 });
  }
  const ed = new GraphEditor({ name, inputs, outputs: [], values, nodes: [], params, symbols: [...g.symbols] });
  const b = new RuleBuilder(ed, true);
  const r: Rebuilder = {
    b,
    ed,
    map: (v) => {
      const m = map.get(v);
      if (m === undefined) throw new Error(`rebuild: value ${v} used before it is defined`);
      return m;
    },
    addParam(pname, shape, init) {
      const id = ed.values.length;
      ed.values.push({ id, type: { shape, dtype: 'f32' }, def: { kind: 'param', param: ed.params.length } });
      ed.params.push({
        id: ed.params.length,
        name: pname,
        shape,
        dtype: 'f32',
        init,
        buffer: false,
        trainable: true,
        value: id,
      });
      return id;
    },
  };
  for (const n of g.nodes) {
    const copy = ed.addNode(
      n.op,
      n.name,
      n.inputs.map(r.map),
      n.dataInputs,
      n.outputs.map((o) => g.values[o]!.type),
      n.attrs,
      n,
    );
    b.from = copy;
    const repl = visit(n, copy.outputs, r) ?? copy.outputs;
    n.outputs.forEach((o, i) => map.set(o, repl[i]!));
  }
  for (const o of g.outputs) ed.outputs.push({ name: o.name, value: r.map(o.value) });
  const out = ed.finish(name);
  verifyGraph(out);
  return out;
}
