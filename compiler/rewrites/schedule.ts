// Scheduling the rewrites' saved projections into the forward pass. A low-rank rule emits
// x̂ = patch_project(x) while the backward is built, i.e. after the whole forward pass, so x would
// stay alive until then and the rewrite would save compute but no memory. This pass moves each
// such projection — a backward node that reads only forward values — to right after the node
// that defines its input. Then the backward reads x̂ (|K|/p² of x) instead of x, and liveness
// (the static memory report and the kernel planner's memory plan alike) frees x early, as the
// official implementations do by saving only the projections in the forward pass. Which ops
// are such saves, each strategy declares (`saves`, collected as SAVED_OPS in strategies.ts).
import type { GradGraph } from '../autodiff/grad.js';
import type { Graph, Node, NodeId, Value } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';

/** Layout ops a save may read through (no data movement, no cost). */
const VIEWS = new Set(['reshape', 'slice']);

/** Reorders a graph's nodes (a permutation of node ids): ids and value definitions follow. */
export function reorderNodes(g: Graph, order: readonly NodeId[]): { graph: Graph; newId: Map<NodeId, NodeId> } {
  const newId = new Map<NodeId, NodeId>(order.map((old, i) => [old, i]));
  const nodes: Node[] = order.map((old, i) => ({ ...g.nodes[old]!, id: i }));
  const values: Value[] = g.values.map((v) =>
    v.def.kind === 'node' ? { ...v, def: { ...v.def, node: newId.get(v.def.node)! } } : v,
  );
  const graph = { ...g, nodes, values };
  verifyGraph(graph);
  return { graph, newId };
}

/** Moves the backward nodes of ops in `saves` (and the views they read through) into the forward pass. */
export function hoistSaves<T extends GradGraph>(gg: T, saves: ReadonlySet<string>): T {
  const g = gg.graph;
  // anchor: the forward node a value is available after (−1: an input or parameter); hoisted
  // backward nodes take the anchor of their latest input, so a view feeding a save moves too.
  const anchor = new Map<NodeId, number>();
  const anchorOf = (v: number): number | undefined => {
    const d = g.values[v]!.def;
    if (d.kind !== 'node') return -1;
    return d.node < gg.forwardNodes ? d.node : anchor.get(d.node);
  };
  const hoisted = new Map<number, NodeId[]>(); // anchor → nodes placed right after it, in order
  const moved = new Set<NodeId>();
  for (const n of g.nodes.slice(gg.forwardNodes)) {
    if (!saves.has(n.op) && !VIEWS.has(n.op)) continue;
    const as = n.inputs.map(anchorOf);
    if (as.some((a) => a === undefined)) continue;
    const at = Math.max(-1, ...(as as number[]));
    anchor.set(n.id, at);
    const list = hoisted.get(at);
    if (list) list.push(n.id);
    else hoisted.set(at, [n.id]);
    moved.add(n.id);
  }
  // Views are moved only when a save uses them (on their own they change nothing).
  // Walking back from the saves, a moved node is used when a used node reads its output.
  const used = new Set<NodeId>();
  for (const id of [...moved].reverse()) {
    const n = g.nodes[id]!;
    if (!saves.has(n.op) && !used.has(id)) continue;
    used.add(id);
    for (const v of n.inputs) {
      const d = g.values[v]!.def;
      if (d.kind === 'node' && moved.has(d.node)) used.add(d.node);
    }
  }
  for (const id of [...moved]) if (!used.has(id)) moved.delete(id);
  for (const [k, ids] of hoisted)
    hoisted.set(
      k,
      ids.filter((id) => moved.has(id)),
    );
  if (moved.size === 0) return gg;
  const order: NodeId[] = [...(hoisted.get(-1) ?? [])];
  for (let i = 0; i < gg.forwardNodes; i++) order.push(i, ...(hoisted.get(i) ?? []));
  for (let i = gg.forwardNodes; i < g.nodes.length; i++) if (!moved.has(i)) order.push(i);
  const { graph, newId } = reorderNodes(g, order);
  const origin = new Map<NodeId, NodeId>();
  for (const [k, v] of gg.origin) origin.set(newId.get(k)!, newId.get(v)!);
  const out: GradGraph & { updateOrigin?: ReadonlyMap<NodeId, NodeId> } = {
    ...gg,
    graph,
    origin,
    forwardNodes: gg.forwardNodes + moved.size,
  };
  // A training step also maps its update nodes to layers.
  const uo = (gg as { updateOrigin?: ReadonlyMap<NodeId, NodeId> }).updateOrigin;
  if (uo) out.updateOrigin = new Map([...uo].map(([k, v]) => [newId.get(k)!, newId.get(v)!]));
  return out as T;
}
