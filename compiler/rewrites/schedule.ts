// Scheduling the rewrites' saved projections into the forward pass. A low-rank rule emits
// x̂ = patch_project(x) while the backward is built, i.e. after the whole forward pass, so x would
// stay alive until then and the rewrite would save compute but no memory. This pass moves each
// such projection — a backward node that reads only forward values — to right after the node
// that defines its input. Then the backward reads x̂ (|K|/p² of x) instead of x, and liveness
// (the static memory report and the kernel planner's memory plan alike) frees x early, as the
// official implementations do by saving only the projections in the forward pass.
import type { GradGraph } from '../autodiff/grad.js';
import type { Graph, Node, NodeId, Value } from '../ir/types.js';
import { verifyGraph } from '../ir/verify.js';

const SAVES = new Set(['patch_project']);

/** Reorders a graph's nodes (a permutation of node ids): ids and value definitions follow. */
export function reorderNodes(g: Graph, order: readonly NodeId[]): { graph: Graph; newId: Map<NodeId, NodeId> } {
  const newId = new Map<NodeId, NodeId>(order.map((old, i) => [old, i]));
  const nodes: Node[] = order.map((old, i) => ({ ...g.nodes[old]!, id: i }));
  const values: Value[] = g.values.map((v) => (v.def.kind === 'node' ? { ...v, def: { ...v.def, node: newId.get(v.def.node)! } } : v));
  const graph = { ...g, nodes, values };
  verifyGraph(graph);
  return { graph, newId };
}

export function hoistSaves<T extends GradGraph>(gg: T): T {
  const g = gg.graph;
  const isForward = (v: number) => {
    const d = g.values[v]!.def;
    return d.kind !== 'node' || d.node < gg.forwardNodes;
  };
  const hoisted = new Map<NodeId, NodeId[]>(); // forward node (−1: before all) → saves after it
  const moved = new Set<NodeId>();
  for (const n of g.nodes.slice(gg.forwardNodes)) {
    if (!SAVES.has(n.op) || !n.inputs.every(isForward)) continue;
    const after = Math.max(-1, ...n.inputs.map((v) => (g.values[v]!.def.kind === 'node' ? (g.values[v]!.def as { node: number }).node : -1)));
    hoisted.set(after, [...(hoisted.get(after) ?? []), n.id]);
    moved.add(n.id);
  }
  if (moved.size === 0) return gg;
  const order: NodeId[] = [...(hoisted.get(-1) ?? [])];
  for (let i = 0; i < gg.forwardNodes; i++) order.push(i, ...(hoisted.get(i) ?? []));
  for (let i = gg.forwardNodes; i < g.nodes.length; i++) if (!moved.has(i)) order.push(i);
  const { graph, newId } = reorderNodes(g, order);
  const origin = new Map<NodeId, NodeId>();
  for (const [k, v] of gg.origin) origin.set(newId.get(k)!, newId.get(v)!);
  const out: GradGraph & { updateOrigin?: ReadonlyMap<NodeId, NodeId> } = { ...gg, graph, origin, forwardNodes: gg.forwardNodes + moved.size };
  // A training step also maps its update nodes to layers.
  const uo = (gg as { updateOrigin?: ReadonlyMap<NodeId, NodeId> }).updateOrigin;
  if (uo) out.updateOrigin = new Map([...uo].map(([k, v]) => [newId.get(k)!, newId.get(v)!]));
  return out as T;
}
