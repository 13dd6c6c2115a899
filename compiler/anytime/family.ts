// The sub-networks of an anytime network, read off its IR: every `exit(…)` node and the model's
// own output are exits, every `optional(path, skip)` node a path a sub-network may leave out.
// A sub-network is an exit and the set of optional paths it skips among those the exit depends
// on: the family is, for each exit, every subset of its upstream optional paths (the largest
// sub-network skips nothing and answers at the last exit, the smallest skips everything and
// answers at the first).
import type { Graph, NodeId, ValueId } from '../ir/types.js';

export interface AnytimeExit {
  readonly name: string;
  /** The exit's logits (the `exit` node's input, or the model output). */
  readonly value: ValueId;
  /** The optional nodes the exit depends on, in graph order. */
  readonly upstream: readonly NodeId[];
}

export interface AnytimeStructure {
  readonly exits: readonly AnytimeExit[];
  /** Every `optional` node, in graph order. */
  readonly optionals: readonly NodeId[];
}

export interface Subnet {
  /** `exit1`, or `exit1 -layer2 -layer3` for the optional paths it skips. */
  readonly name: string;
  /** Index into the structure's exits. */
  readonly exit: number;
  /** The names of the optional nodes it skips. */
  readonly skipped: readonly string[];
}

/** At most this many sub-networks are enumerated (each optional path doubles them). */
export const MAX_SUBNETS = 512;

/** Exits and optional paths of a graph; no exits and no optional paths: not an anytime network. */
export function anytimeStructure(g: Graph): AnytimeStructure {
  const optionals = g.nodes.filter((n) => n.op === 'optional').map((n) => n.id);
  const exitNodes = g.nodes.filter((n) => n.op === 'exit');
  const out = g.outputs[0];
  const exits: { name: string; value: ValueId }[] = exitNodes.map((n) => ({ name: n.name, value: n.inputs[0]! }));
  if (out) {
    const last = exitNodes.find((n) => n.outputs[0] === out.value);
    if (!last) exits.push({ name: out.name, value: out.value });
  }
  // The optional nodes each value depends on.
  const producer = new Map<ValueId, NodeId>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n.id);
  const upstreamOf = (v: ValueId): NodeId[] => {
    const seen = new Set<NodeId>();
    const stack = [v];
    while (stack.length) {
      const p = producer.get(stack.pop()!);
      if (p === undefined || seen.has(p)) continue;
      seen.add(p);
      const n = g.nodes[p]!;
      stack.push(...n.inputs.slice(0, n.dataInputs));
    }
    return optionals.filter((o) => seen.has(o));
  };
  return { exits: exits.map((e) => ({ ...e, upstream: upstreamOf(e.value) })), optionals };
}

export const isAnytime = (s: AnytimeStructure): boolean => s.exits.length > 1 || s.optionals.length > 0;

/** How many sub-networks the structure has. */
export const subnetCount = (s: AnytimeStructure): number =>
  s.exits.reduce((a, e) => a + Math.pow(2, e.upstream.length), 0);

/**
 * Every sub-network, exit by exit; within an exit, from skipping nothing to skipping every
 * upstream path (the subset's bits in graph order, the first path the highest bit).
 */
export function enumerateSubnets(g: Graph, s: AnytimeStructure): Subnet[] {
  const out: Subnet[] = [];
  s.exits.forEach((e, i) => {
    const k = e.upstream.length;
    for (let mask = 0; mask < 1 << k; mask++) {
      const skipped = e.upstream.filter((_, j) => (mask >> (k - 1 - j)) & 1).map((id) => g.nodes[id]!.name);
      out.push({ name: [e.name, ...skipped.map((n) => `-${n}`)].join(' '), exit: i, skipped });
    }
  });
  return out;
}

/** The largest sub-network (last exit, nothing skipped) and the smallest (first exit, all skipped). */
export function extremes(subnets: readonly Subnet[], s: AnytimeStructure): { largest: number; smallest: number } {
  const last = s.exits.length - 1;
  const largest = subnets.findIndex((n) => n.exit === last && n.skipped.length === 0);
  let smallest = 0;
  subnets.forEach((n, i) => {
    if (n.exit === 0 && n.skipped.length === s.exits[0]!.upstream.length) smallest = i;
  });
  return { largest, smallest };
}
