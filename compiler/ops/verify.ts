// The IR verifier: the invariants every pass must preserve. It runs after elaboration and
// between passes; a failure is always a bug in mdl, never a user error.
import { lookupOp } from './registry.js';
import { sameShape } from '../ir/shape.js';
import type { Graph } from '../ir/types.js';

export class IrError extends Error {}

export function verifyGraph(g: Graph): void {
  const defined = new Set<number>();
  const err = (m: string): never => {
    throw new IrError(`IR invariant broken in ${g.name}: ${m}`);
  };
  g.values.forEach((v, i) => v.id === i || err(`value ${i} has id ${v.id}`));
  for (const id of g.inputs) {
    if (g.values[id]?.def.kind !== 'input') err(`input ${id} is not an input value`);
    defined.add(id);
  }
  for (const p of g.params) {
    const v = g.values[p.value];
    if (!v || v.def.kind !== 'param' || v.def.param !== p.id) err(`param ${p.name} is not bound to its value`);
    if (!sameShape(v!.type.shape, p.shape)) err(`param ${p.name} shape differs from its value`);
    defined.add(p.value);
  }
  const names = new Set<string>();
  const paramNames = new Set<string>();
  for (const p of g.params) {
    if (paramNames.has(p.name)) err(`duplicate parameter name ${p.name}`);
    paramNames.add(p.name);
  }
  g.nodes.forEach((n, i) => {
    if (n.id !== i) err(`node ${i} has id ${n.id}`);
    if (names.has(n.name)) err(`duplicate node name ${n.name}`);
    names.add(n.name);
    const op = lookupOp(n.op);
    if (!op) err(`node ${n.name} has unknown op ${n.op}`);
    for (const inp of n.inputs) if (!defined.has(inp)) err(`node ${n.name} uses value ${inp} before it is defined`);
    const data = n.inputs.slice(0, n.dataInputs).map((v) => g.values[v]!.type);
    const outs = op!.infer(data, n.attrs);
    if (outs.length !== n.outputs.length)
      err(`node ${n.name} has ${n.outputs.length} outputs, its op infers ${outs.length}`);
    n.outputs.forEach((o, k) => {
      const v = g.values[o]!;
      if (v.def.kind !== 'node' || v.def.node !== n.id || v.def.index !== k)
        err(`output ${o} of ${n.name} is not bound to it`);
      if (!sameShape(v.type.shape, outs[k]!.shape) || v.type.dtype !== outs[k]!.dtype)
        err(`output ${k} of ${n.name} has a stale type`);
      defined.add(o);
    });
  });
  for (const o of g.outputs) if (!defined.has(o.value)) err(`output ${o.name} is not defined`);
}
