// A mutable copy of a graph that passes append to, and the `IrBuilder` that op derivative rules
// emit through. Every node the builder adds is named after the forward node whose rule emitted
// it (`conv1.vjp.conv2d_grad_input`), keeps that node's span and scope, and is recorded in
// `origin`, so analyses attribute backward work to the forward layer that caused it.
import { sameShape } from '../ir/shape.js';
import type { Attrs, AttrValue, Graph, Node, NodeId, Param, Shape, TensorType, Value, ValueId } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';
import { longForm, type IrBuilder, type OpDef } from '../ops/types.js';
import { NO_SPAN } from '../source.js';

export class AutodiffError extends Error {}

export class GraphEditor {
  readonly values: Value[];
  readonly nodes: Node[];
  readonly params: Param[];
  readonly inputs: ValueId[];
  readonly outputs: { name: string; value: ValueId }[];
  readonly symbols: string[];
  private readonly names: Set<string>;
  /** Per base name, the suffix to try first: names are only ever added, so the smallest free
   * `base_k` never lies below the last one handed out, and naming stays linear in the nodes. */
  private readonly nextSuffix = new Map<string, number>();
  /** Names of `params[0 … paramNamesSeen)`; passes may push parameters directly, so the set
   * catches up before each lookup rather than being kept in step by every writer. */
  private readonly paramNames = new Set<string>();
  private paramNamesSeen = 0;

  constructor(readonly base: Graph) {
    this.values = [...base.values];
    this.nodes = [...base.nodes];
    this.params = [...base.params];
    this.inputs = [...base.inputs];
    this.outputs = base.outputs.map((o) => ({ ...o }));
    this.symbols = [...base.symbols];
    this.names = new Set(base.nodes.map((n) => n.name));
  }

  type(v: ValueId): TensorType {
    return this.values[v]!.type;
  }

  inputNamed(name: string): ValueId | undefined {
    return this.inputs.find((id) => {
      const d = this.values[id]!.def;
      return d.kind === 'input' && d.name === name;
    });
  }

  addInput(name: string, type: TensorType): ValueId {
    if (this.inputNamed(name) !== undefined)
      throw new AutodiffError(`graph ${this.base.name} already has an input \`${name}\``);
    const id = this.values.length;
    this.values.push({ id, type, def: { kind: 'input', name } });
    this.inputs.push(id);
    return id;
  }

  /** A new buffer (state that is not trained), such as an optimizer's moment estimates. */
  addBuffer(name: string, shape: readonly number[], init: Param['init']): ValueId {
    for (; this.paramNamesSeen < this.params.length; this.paramNamesSeen++)
      this.paramNames.add(this.params[this.paramNamesSeen]!.name);
    if (this.paramNames.has(name))
      throw new AutodiffError(`graph ${this.base.name} already has a parameter \`${name}\``);
    const pid = this.params.length;
    const id = this.values.length;
    this.values.push({ id, type: { shape, dtype: 'f32' }, def: { kind: 'param', param: pid } });
    this.params.push({ id: pid, name, shape, dtype: 'f32', init, buffer: true, trainable: false, value: id });
    return id;
  }

  uniqueName(base: string): string {
    if (!this.names.has(base)) return base;
    let k = this.nextSuffix.get(base) ?? 1;
    while (this.names.has(`${base}_${k}`)) k++;
    this.nextSuffix.set(base, k + 1);
    return `${base}_${k}`;
  }

  addNode(
    op: string,
    name: string,
    inputs: readonly ValueId[],
    dataInputs: number,
    outTypes: readonly TensorType[],
    attrs: Attrs,
    from: Node | undefined,
  ): Node {
    const id: NodeId = this.nodes.length;
    const outputs = outTypes.map((type, index) => {
      const vid = this.values.length;
      this.values.push({ id: vid, type, def: { kind: 'node', node: id, index } });
      return vid;
    });
    const node: Node = {
      id,
      op,
      name: this.uniqueName(name),
      inputs,
      dataInputs,
      outputs,
      attrs,
      span: from?.span ?? NO_SPAN,
      scope: from?.scope ?? [],
    };
    this.names.add(node.name);
    this.nodes.push(node);
    return node;
  }

  finish(name = this.base.name): Graph {
    return {
      name,
      inputs: [...this.inputs],
      outputs: this.outputs.map((o) => ({ ...o })),
      values: [...this.values],
      nodes: [...this.nodes],
      params: [...this.params],
      symbols: [...this.symbols],
    };
  }
}

/** Fills defaults and gives attributes their long form, as the elaborator's binder does. */
export function completeAttrs(op: OpDef, given: Readonly<Record<string, AttrValue>>): Attrs {
  const attrs: Record<string, AttrValue> = {};
  const specs = op.args.filter((a) => a.type !== 'tensor' && a.type !== 'tensors');
  for (const k of Object.keys(given))
    if (!specs.some((s) => s.name === k))
      throw new AutodiffError(`${op.name}: a derivative rule passed the unknown attribute \`${k}\``);
  for (const s of specs) {
    let v: AttrValue | undefined = given[s.name];
    if (v === undefined) v = s.default;
    if (v === undefined) throw new AutodiffError(`${op.name}: a derivative rule left out the attribute \`${s.name}\``);
    attrs[s.name] = longForm(s, v);
  }
  return attrs;
}

/** The IrBuilder handed to derivative rules; `from` is the forward node whose rule runs. */
export class RuleBuilder implements IrBuilder {
  from: Node | undefined;
  tag = 'vjp';
  /** Added node → the forward node whose rule emitted it. */
  readonly origin = new Map<NodeId, NodeId>();

  constructor(
    readonly ed: GraphEditor,
    readonly training: boolean,
  ) {}

  type(v: ValueId): TensorType {
    return this.ed.type(v);
  }

  shape(v: ValueId): Shape {
    return this.ed.type(v).shape;
  }

  op(
    name: string,
    data: readonly ValueId[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    params: readonly ValueId[] = [],
  ): ValueId[] {
    const op = lookupOp(name);
    if (!op) throw new AutodiffError(`a derivative rule emitted the unknown op \`${name}\``);
    const full = completeAttrs(op, attrs);
    const types = data.map((v) => this.type(v));
    const outs = op.infer(types, full);
    const specs = op.params?.(types, full) ?? [];
    if (specs.length !== params.length || specs.some((s, i) => !sameShape(s.shape, this.shape(params[i]!))))
      throw new AutodiffError(
        `${name}: a derivative rule passed parameters of shapes ${params.map((p) => `[${this.shape(p).join(', ')}]`).join(', ')}, the op expects ${specs.map((s) => `[${s.shape.join(', ')}]`).join(', ')}`,
      );
    const base = this.from ? `${this.from.name}.${this.tag}.${name}` : `${this.tag}.${name}`;
    const node = this.ed.addNode(name, base, [...data, ...params], data.length, outs, full, this.from);
    if (this.from) this.origin.set(node.id, this.from.id);
    return [...node.outputs];
  }

  op1(
    name: string,
    data: readonly ValueId[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    params: readonly ValueId[] = [],
  ): ValueId {
    const outs = this.op(name, data, attrs, params);
    if (outs.length !== 1) throw new AutodiffError(`${name} has ${outs.length} outputs; use op()`);
    return outs[0]!;
  }

  constant(value: number, shape: Shape = []): ValueId {
    return this.op1('constant', [], { value, shape: [...shape] });
  }

  add(a: ValueId | null, b: ValueId | null): ValueId | null {
    if (a === null) return b;
    if (b === null) return a;
    if (!sameShape(this.shape(a), this.shape(b)))
      throw new AutodiffError(
        `add: terms of shapes [${this.shape(a).join(', ')}] and [${this.shape(b).join(', ')}] differ`,
      );
    return this.op1('add', [a, b]);
  }

  sumTo(v: ValueId, shape: Shape): ValueId {
    return sameShape(this.shape(v), shape) ? v : this.op1('sum_to', [v], { shape: [...shape] });
  }

  expandTo(v: ValueId, shape: Shape): ValueId {
    return sameShape(this.shape(v), shape) ? v : this.op1('expand', [v], { shape: [...shape] });
  }

  reshape(v: ValueId, shape: Shape): ValueId {
    return sameShape(this.shape(v), shape) ? v : this.op1('reshape', [v], { shape: [...shape] });
  }
}
