// Builds a Graph incrementally during elaboration. It owns id allocation and the uniqueness of
// node and parameter names; everything it produces passes the IR verifier.
import type { Span } from '../source.js';
import type { Attrs, DType, Graph, Init, Node, NodeId, Param, TensorType, Value, ValueId } from './types.js';

export class GraphBuilder {
  private readonly values: Value[] = [];
  private readonly nodes: Node[] = [];
  private readonly params: Param[] = [];
  private readonly inputs: ValueId[] = [];
  private readonly outputs: { name: string; value: ValueId }[] = [];
  private readonly symbols: string[] = [];
  private readonly nodesByName = new Map<string, Node>();

  constructor(readonly name: string) {}

  type(v: ValueId): TensorType {
    return this.values[v]!.type;
  }

  addSymbol(s: string): void {
    if (!this.symbols.includes(s)) this.symbols.push(s);
  }

  addInput(name: string, type: TensorType): ValueId {
    const id = this.values.length;
    this.values.push({ id, type, def: { kind: 'input', name } });
    this.inputs.push(id);
    return id;
  }

  addParam(name: string, shape: readonly number[], dtype: DType, init: Init, buffer: boolean): ValueId {
    const pid = this.params.length;
    const id = this.values.length;
    this.values.push({ id, type: { shape, dtype }, def: { kind: 'param', param: pid } });
    this.params.push({ id: pid, name, shape, dtype, init, buffer, trainable: !buffer, value: id });
    return id;
  }

  hasNodeName(name: string): boolean {
    return this.nodesByName.has(name);
  }

  nodeByName(name: string): Node | undefined {
    return this.nodesByName.get(name);
  }

  paramOfValue(v: ValueId): Param | undefined {
    const d = this.values[v]!.def;
    return d.kind === 'param' ? this.params[d.param] : undefined;
  }

  addNode(
    op: string,
    name: string,
    inputs: readonly ValueId[],
    dataInputs: number,
    outTypes: readonly TensorType[],
    attrs: Attrs,
    span: Span,
    scope: readonly string[],
  ): Node {
    const id: NodeId = this.nodes.length;
    const outputs = outTypes.map((type, index) => {
      const vid = this.values.length;
      this.values.push({ id: vid, type, def: { kind: 'node', node: id, index } });
      return vid;
    });
    const node: Node = { id, op, name, inputs, dataInputs, outputs, attrs, span, scope };
    this.nodes.push(node);
    this.nodesByName.set(name, node);
    return node;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  node(id: NodeId): Node {
    return this.nodes[id]!;
  }

  /** Renames a parameter-free node (a block that is one op takes the block call's name). */
  renameNode(id: NodeId, name: string): void {
    const n = this.nodes[id]!;
    if (n.inputs.length !== n.dataInputs) throw new Error(`renameNode: ${n.name} owns parameters`);
    this.nodesByName.delete(n.name);
    const renamed = { ...n, name, scope: n.scope.slice(0, -1) };
    this.nodes[id] = renamed;
    this.nodesByName.set(name, renamed);
  }

  /**
   * Forgets every node, value and parameter added since the counts given (the expansion of a
   * block call that is then represented otherwise, see elaborate/segments.ts).
   */
  truncate(nodes: number, values: number, params: number): void {
    for (let i = nodes; i < this.nodes.length; i++) this.nodesByName.delete(this.nodes[i]!.name);
    this.nodes.length = nodes;
    this.values.length = values;
    this.params.length = params;
  }

  /** The model inputs made so far, in order. */
  get inputIds(): readonly ValueId[] {
    return this.inputs;
  }

  get valueCount(): number {
    return this.values.length;
  }

  get paramCount(): number {
    return this.params.length;
  }

  addOutput(name: string, value: ValueId): void {
    this.outputs.push({ name, value });
  }

  finish(): Graph {
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      values: [...this.values],
      nodes: [...this.nodes],
      params: [...this.params],
      symbols: [...this.symbols],
    };
  }
}
