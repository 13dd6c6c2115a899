// TIPS (Li, Bhardwaj, Yang, Marculescu, ICML 2023): topological importance over a family of
// sub-networks that share weights.
//
// Each sub-network is an undirected graph over feature maps (vertices, named) whose edges are
// its ops. The hyper-graph holds one copy of every vertex per sub-network: copy s carries the
// edges of sub-network s, the input and output vertices get a self-loop, and every vertex is
// joined to its own copies in the other sub-networks (weight sharing) — the block form of the
// official code (block-diagonal adjacency, identity off-diagonal blocks). The hyper-adjacency
// is symmetric, so the random walk's stationary distribution is degree / total degree; the
// explicit chain (`hyperChain`) exists for the tests, which check that the closed form is
// stationary.
//
// - TAS of a vertex: the stationary mass of its copies, summed over sub-networks.
// - TPS of a path: the sum of the TAS of its vertices (the official code's `tps_sum`).
// - A sub-network's importance: the TPS of its best path (input to its output), found by the
//   k-best dynamic programme of dtmc.ts.
// - The sampling distribution: p(s) ∝ importance(s)^τ (τ = 1 by default). The released code has
//   no biased sampler; this rule (sample high-TPS sub-networks more often, uniform as the
//   ablation) is our reading of the paper.
import { topKPaths, type Edge, type SparseMatrix } from './dtmc.js';

/** One sub-network's topology over named vertices. */
export interface SubnetTopology {
  readonly name: string;
  /** Undirected edges between vertex names (each op input → op output). */
  readonly edges: readonly (readonly [string, string])[];
  /** The input vertex (where paths start) and the output vertex (where they end). */
  readonly input: string;
  readonly output: string;
}

export interface HyperGraph {
  /** The vertex names; copy s of vertex i is hyper-vertex s·V + i. */
  readonly vertices: readonly string[];
  readonly subnets: number;
  /** Hyper-vertex degree (self-loops count once, as a diagonal entry of the adjacency). */
  readonly degree: Float64Array;
}

function vertexIndex(subnets: readonly SubnetTopology[]): Map<string, number> {
  const index = new Map<string, number>();
  const add = (v: string) => index.has(v) || index.set(v, index.size);
  for (const s of subnets) {
    add(s.input);
    for (const [a, b] of s.edges) {
      add(a);
      add(b);
    }
    add(s.output);
  }
  return index;
}

/** Hyper-vertex degrees in closed form: own edges + self-loop + (T − 1) couplings. */
export function hyperGraph(subnets: readonly SubnetTopology[]): HyperGraph {
  const index = vertexIndex(subnets);
  const V = index.size;
  const T = subnets.length;
  const degree = new Float64Array(V * T);
  subnets.forEach((s, k) => {
    const base = k * V;
    for (const [a, b] of s.edges) {
      if (a === b) continue;
      degree[base + index.get(a)!]!++;
      degree[base + index.get(b)!]!++;
    }
    degree[base + index.get(s.input)!]!++;
    if (s.output !== s.input) degree[base + index.get(s.output)!]!++;
    for (let i = 0; i < V; i++) degree[base + i]! += T - 1;
  });
  return { vertices: [...index.keys()], subnets: T, degree };
}

/**
 * The explicit hyper-adjacency as a row-stochastic chain P = D⁻¹A_H (for tests and small
 * families: it has T(T−1)/2 coupling edges per vertex).
 */
export function hyperChain(subnets: readonly SubnetTopology[]): SparseMatrix {
  const index = vertexIndex(subnets);
  const V = index.size;
  const T = subnets.length;
  const n = V * T;
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const add = (a: number, b: number) => rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + 1);
  subnets.forEach((s, k) => {
    const base = k * V;
    for (const [a, b] of s.edges) {
      if (a === b) continue;
      add(base + index.get(a)!, base + index.get(b)!);
      add(base + index.get(b)!, base + index.get(a)!);
    }
    add(base + index.get(s.input)!, base + index.get(s.input)!);
    if (s.output !== s.input) add(base + index.get(s.output)!, base + index.get(s.output)!);
  });
  for (let i = 0; i < V; i++)
    for (let s = 0; s < T; s++) for (let t = 0; t < T; t++) if (s !== t) add(s * V + i, t * V + i);
  const rowStart = new Int32Array(n + 1);
  let nnz = 0;
  rows.forEach((r, i) => {
    rowStart[i] = nnz;
    nnz += r.size;
  });
  rowStart[n] = nnz;
  const col = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  rows.forEach((r, i) => {
    let deg = 0;
    for (const w of r.values()) deg += w;
    let k = rowStart[i]!;
    for (const [j, w] of [...r.entries()].sort((a, b) => a[0] - b[0])) {
      col[k] = j;
      val[k++] = w / deg;
    }
  });
  return { n, rowStart, col, val };
}

/** π over the hyper-vertices: degree / total degree. */
export function hyperStationary(h: HyperGraph): Float64Array {
  const total = h.degree.reduce((a, d) => a + d, 0);
  return h.degree.map((d) => d / total);
}

export interface TipsOptions {
  /** The sharpness τ of the sampling distribution p(s) ∝ importance(s)^τ (default 1). */
  readonly temperature?: number;
}

export interface SubnetImportance {
  readonly name: string;
  /** The TPS of the sub-network's best path. */
  readonly tps: number;
  /** The best path's vertices, input first. */
  readonly path: readonly string[];
  /** TIPS's sampling probability. */
  readonly probability: number;
}

export interface TipsResult {
  readonly hyper: HyperGraph;
  readonly pi: Float64Array;
  /** TAS per vertex name. */
  readonly tas: ReadonlyMap<string, number>;
  readonly subnets: readonly SubnetImportance[];
}

/** The best path of one sub-network by TPS (its vertices' TAS summed), input to output. */
export function bestPath(
  s: SubnetTopology,
  tas: ReadonlyMap<string, number>,
): { readonly tps: number; readonly path: readonly string[] } {
  // Vertices in topological order: the edges are given in op order, each from an input to
  // the op's output, so a vertex's first appearance as a target follows its sources'.
  const order = new Map<string, number>([[s.input, 0]]);
  for (const [a, b] of s.edges) {
    if (!order.has(a)) order.set(a, order.size);
    if (!order.has(b)) order.set(b, order.size);
  }
  if (!order.has(s.output)) order.set(s.output, order.size);
  const names = [...order.keys()];
  const edges: Edge[] = s.edges
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({ from: order.get(a)!, to: order.get(b)! }));
  const t = (v: string) => tas.get(v) ?? 0;
  if (s.input === s.output) return { tps: t(s.input), path: [s.input] };
  const [best] = topKPaths(names.length, edges, (i) => t(names[edges[i]!.to]!), [0], [order.get(s.output)!], 1);
  if (!best) return { tps: t(s.input), path: [s.input] };
  return {
    tps: t(s.input) + best.score,
    path: [s.input, ...best.edges.map((i) => names[edges[i]!.to]!)],
  };
}

/** The TIPS analysis of a family of sub-networks. */
export function tips(subnets: readonly SubnetTopology[], opts: TipsOptions = {}): TipsResult {
  const hyper = hyperGraph(subnets);
  const pi = hyperStationary(hyper);
  const V = hyper.vertices.length;
  const tas = new Map<string, number>();
  hyper.vertices.forEach((v, i) => {
    let m = 0;
    for (let s = 0; s < hyper.subnets; s++) m += pi[s * V + i]!;
    tas.set(v, m);
  });
  const tau = opts.temperature ?? 1;
  const scored = subnets.map((s) => ({ name: s.name, ...bestPath(s, tas) }));
  const weights = scored.map((s) => Math.pow(s.tps, tau));
  const total = weights.reduce((a, w) => a + w, 0);
  return {
    hyper,
    pi,
    tas,
    subnets: scored.map((s, i) => ({ ...s, probability: total > 0 ? weights[i]! / total : 1 / scored.length })),
  };
}
