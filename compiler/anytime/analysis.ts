// The anytime report of a model: its exits, optional paths and sub-networks, each sub-network's
// own static cost (params and MACs of its specialised graph) and the TIPS analysis over the
// family (compiler/analysis/tips.ts): TAS per op, the best path of each sub-network and the
// sampling distribution TIPS trains with.
import { summarize } from '../analysis/summary.js';
import { tips, type SubnetTopology } from '../analysis/tips.js';
import { functionalView, ZERO } from '../analysis/topology.js';
import type { Graph, ValueId } from '../ir/types.js';
import { anytimeStructure, enumerateSubnets, type AnytimeStructure, type Subnet } from './family.js';
import { specialise } from './specialise.js';

/** The vertex name of a feature map: the graph input's name, or the name of the op producing it. */
function vertexName(g: Graph, v: ValueId): string {
  const d = g.values[v]!.def;
  if (d.kind === 'input') return d.name;
  if (d.kind === 'node') {
    const n = g.nodes[d.node]!;
    return d.index === 0 ? n.name : `${n.name}:${d.index}`;
  }
  return g.params[d.param]!.name;
}

/**
 * A sub-network's graph as TIPS sees it: feature maps are vertices, each op an edge from every
 * data input to its output (its functional view: identities fold away, parameters are not
 * vertices, constants start no path).
 */
export function subnetTopology(g: Graph, name: string): SubnetTopology {
  const view = functionalView(g);
  const reached = new Set<ValueId>(g.inputs);
  const edges: (readonly [string, string])[] = [];
  for (const n of view.live) {
    const ins = view.inputs[n.id]!.filter((v) => v !== ZERO && reached.has(v));
    if (ins.length === 0) continue;
    reached.add(n.outputs[0]!);
    for (const v of ins) edges.push([vertexName(g, v), vertexName(g, n.outputs[0]!)]);
  }
  const out = view.outputs[0];
  return {
    name,
    edges,
    input: vertexName(g, g.inputs[0]!),
    output: out === undefined || out === ZERO ? vertexName(g, g.inputs[0]!) : vertexName(g, out),
  };
}

export interface SubnetReport {
  readonly name: string;
  readonly exit: string;
  readonly skipped: readonly string[];
  readonly params: number;
  readonly macs: number;
  /** The TPS of its best path, and that path's feature maps. */
  readonly tps: number;
  readonly path: readonly string[];
  /** TIPS's sampling probability. */
  readonly probability: number;
}

export interface AnytimeReport {
  readonly model: string;
  readonly exits: readonly string[];
  readonly optional: readonly string[];
  readonly subnets: readonly SubnetReport[];
  /** TAS per feature map (the op that produces it, or the input), largest first. */
  readonly tas: readonly { readonly vertex: string; readonly tas: number }[];
}

export interface AnytimeFamily {
  readonly structure: AnytimeStructure;
  readonly subnets: readonly Subnet[];
  readonly graphs: readonly Graph[];
}

export function anytimeFamily(g: Graph): AnytimeFamily {
  const structure = anytimeStructure(g);
  const subnets = enumerateSubnets(g, structure);
  return { structure, subnets, graphs: subnets.map((s) => specialise(g, structure, s)) };
}

export function anytimeReport(
  g: Graph,
  bind: Readonly<Record<string, number>>,
  family: AnytimeFamily = anytimeFamily(g),
  temperature = 1,
): AnytimeReport {
  const { structure, subnets, graphs } = family;
  const t = tips(
    graphs.map((sg, i) => subnetTopology(sg, subnets[i]!.name)),
    { temperature },
  );
  return {
    model: g.name,
    exits: structure.exits.map((e) => e.name),
    optional: structure.optionals.map((id) => g.nodes[id]!.name),
    subnets: subnets.map((s, i) => {
      const sum = summarize(graphs[i]!, bind);
      const imp = t.subnets[i]!;
      return {
        name: s.name,
        exit: structure.exits[s.exit]!.name,
        skipped: s.skipped,
        params: sum.params.trainable,
        macs: sum.macs,
        tps: imp.tps,
        path: imp.path,
        probability: imp.probability,
      };
    }),
    tas: [...t.tas].map(([vertex, tas]) => ({ vertex, tas })).sort((a, b) => b.tas - a.tas),
  };
}
