// The DTMC path analysis of TIPS (Li, Bhardwaj, Yang, Marculescu, ICML 2023), on the IR.
//
// The network is a graph whose vertices are feature maps (graph inputs and op outputs) and
// whose edges are ops (one edge from each data input of an op to its output); parameters
// are not vertices. A random walk on it is a discrete-time Markov chain with transition
// matrix P = D⁻¹A (A the adjacency, D its row sums). TIPS treats the graph as undirected, and
// then the stationary distribution (πP = π, Σπ = 1) has the closed form π_i = deg_i / Σ deg.
// For a directed or weighted adjacency, `stationary` finds π by power iteration instead.
//
// - The Topological Accumulated Score (TAS) of an op is the stationary probability of the
//   feature map it produces (summed over subnetworks when several are given: the hyper-
//   adjacency of TIPS, whose exact form is unconfirmed, is the block-diagonal union here).
// - The Topological Path Score (TPS) of a computation path from an input to an output is the
//   sum of the TAS of its ops (`aggregate: 'product'` uses the product, as a sum of logs).
// - The top-k paths by TPS come from a k-best dynamic programme over the DAG in topological
//   order, O(k·|E|) — equal to enumerating every path, which the tests check.
import type { Graph } from '../ir/types.js';
import { functionalView, ZERO, type FunctionalView } from './topology.js';

/** A row-stochastic sparse matrix in CSR form. */
export interface SparseMatrix {
  readonly n: number;
  readonly rowStart: Int32Array;
  readonly col: Int32Array;
  readonly val: Float64Array;
}

export interface Edge {
  readonly from: number;
  readonly to: number;
}

/** P = D⁻¹A for the (multi)graph with these edges; undirected adds each edge both ways. */
export function transitionMatrix(n: number, edges: readonly Edge[], undirected = true): SparseMatrix {
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const add = (a: number, b: number) => rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + 1);
  for (const e of edges) {
    add(e.from, e.to);
    if (undirected) add(e.to, e.from);
  }
  const rowStart = new Int32Array(n + 1);
  let nnz = 0;
  rows.forEach((r, i) => {
    rowStart[i] = nnz;
    nnz += r.size === 0 ? 1 : r.size;
  });
  rowStart[n] = nnz;
  const col = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  rows.forEach((r, i) => {
    let k = rowStart[i]!;
    if (r.size === 0) {
      // A vertex with no edges stays where it is (keeps P stochastic).
      col[k] = i;
      val[k] = 1;
      return;
    }
    let deg = 0;
    for (const w of r.values()) deg += w;
    for (const [j, w] of [...r.entries()].sort((a, b) => a[0] - b[0])) {
      col[k] = j;
      val[k++] = w / deg;
    }
  });
  return { n, rowStart, col, val };
}

/** x·P for a row vector x. */
export function leftMultiply(x: Float64Array, P: SparseMatrix): Float64Array {
  const y = new Float64Array(P.n);
  for (let i = 0; i < P.n; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    for (let k = P.rowStart[i]!; k < P.rowStart[i + 1]!; k++) y[P.col[k]!]! += xi * P.val[k]!;
  }
  return y;
}

/**
 * The stationary distribution of P by power iteration on the lazy chain (I + P)/2, which has
 * the same stationary distribution and converges on periodic chains too.
 */
export function stationary(P: SparseMatrix, tol = 1e-13, maxIter = 100_000): Float64Array {
  let x: Float64Array = new Float64Array(P.n).fill(1 / P.n);
  for (let it = 0; it < maxIter; it++) {
    const xp = leftMultiply(x, P);
    let diff = 0;
    let sum = 0;
    for (let i = 0; i < P.n; i++) {
      xp[i] = 0.5 * (x[i]! + xp[i]!);
      sum += xp[i]!;
    }
    for (let i = 0; i < P.n; i++) {
      xp[i] = xp[i]! / sum;
      diff += Math.abs(xp[i]! - x[i]!);
    }
    x = xp;
    if (diff < tol) break;
  }
  return x;
}

/** The closed form for an undirected multigraph: π_i = deg_i / Σ deg (isolated vertices 0). */
export function degreeStationary(n: number, edges: readonly Edge[]): Float64Array {
  const pi = new Float64Array(n);
  for (const e of edges) {
    pi[e.from]!++;
    pi[e.to]!++;
  }
  const total = 2 * edges.length;
  if (total > 0) for (let i = 0; i < n; i++) pi[i] = pi[i]! / total;
  return pi;
}

export interface ScoredPath {
  readonly score: number;
  /** Edge indices from a source to a sink. */
  readonly edges: readonly number[];
}

/**
 * The k best paths of a DAG (vertices numbered in topological order: every edge goes from a
 * lower to a higher number) from any of `sources` to any of `sinks`, by the sum of edge
 * weights, best first.
 */
export function topKPaths(
  n: number,
  edges: readonly Edge[],
  weight: (e: number) => number,
  sources: readonly number[],
  sinks: readonly number[],
  k: number,
): ScoredPath[] {
  interface Partial {
    readonly score: number;
    readonly edge: number;
    readonly prev: Partial | undefined;
  }
  const best: Partial[][] = Array.from({ length: n }, () => []);
  const isSource = new Set(sources);
  const incoming: number[][] = Array.from({ length: n }, () => []);
  edges.forEach((e, i) => {
    if (!(e.from < e.to)) throw new Error(`topKPaths: edge ${e.from}→${e.to} is not in topological order`);
    incoming[e.to]!.push(i);
  });
  // best[v]: the k best non-empty paths ending at v; a source also starts paths of its own.
  for (let v = 0; v < n; v++) {
    const cands: Partial[] = [];
    for (const i of incoming[v]!) {
      const e = edges[i]!;
      const w = weight(i);
      if (isSource.has(e.from)) cands.push({ score: w, edge: i, prev: undefined });
      for (const p of best[e.from]!) cands.push({ score: p.score + w, edge: i, prev: p });
    }
    cands.sort((a, b) => b.score - a.score);
    best[v] = cands.slice(0, k);
  }
  const all: Partial[] = [];
  for (const s of new Set(sinks)) for (const p of best[s]!) all.push(p);
  all.sort((a, b) => b.score - a.score);
  return all.slice(0, k).map((p) => {
    const es: number[] = [];
    for (let q: Partial | undefined = p; q; q = q.prev) es.push(q.edge);
    return { score: p.score, edges: es.reverse() };
  });
}

export interface DtmcOptions {
  /** How many top paths to return (default 5). */
  readonly k?: number;
  /** 'sum' (default) or 'product' of the TAS along a path. */
  readonly aggregate?: 'sum' | 'product';
}

export interface DtmcResult {
  /** Vertex v is value `values[v]` of the graph (a feature map). */
  readonly values: readonly number[];
  readonly edges: readonly (Edge & { readonly node: number })[];
  readonly P: SparseMatrix;
  readonly pi: Float64Array;
  /** TAS per op (node name). */
  readonly tas: ReadonlyMap<string, number>;
  /** The top-k paths, with the names of their ops. */
  readonly paths: readonly { readonly score: number; readonly ops: readonly string[] }[];
}

/** The DTMC analysis of one network (its functional view: `none` edges are no edges). */
export function dtmc(g: Graph, opts: DtmcOptions = {}, view: FunctionalView = functionalView(g)): DtmcResult {
  const k = opts.k ?? 5;
  const vertex = new Map<number, number>();
  const values: number[] = [];
  const vid = (v: number) => {
    let i = vertex.get(v);
    if (i === undefined) {
      i = values.push(v) - 1;
      vertex.set(v, i);
    }
    return i;
  };
  for (const v of g.inputs) vid(v);
  const edges: (Edge & { node: number })[] = [];
  for (const n of view.live) {
    const ins = view.inputs[n.id]!.filter((v) => v !== ZERO && vertex.has(v));
    if (ins.length === 0) continue; // sources (constants) are not part of a computation path
    const to = vid(n.outputs[0]!);
    for (const v of ins) edges.push({ from: vertex.get(v)!, to, node: n.id });
  }
  const P = transitionMatrix(values.length, edges);
  const pi = degreeStationary(values.length, edges);
  const tas = new Map<string, number>();
  for (const e of edges) tas.set(g.nodes[e.node]!.name, pi[e.to]!);
  const w =
    opts.aggregate === 'product' ? (i: number) => Math.log(pi[edges[i]!.to]!) : (i: number) => pi[edges[i]!.to]!;
  const sinks = view.outputs.filter((v) => v !== ZERO && vertex.has(v)).map((v) => vertex.get(v)!);
  const sources = g.inputs.map((v) => vertex.get(v)!);
  const paths = topKPaths(values.length, edges, w, sources, sinks, k).map((p) => ({
    score: opts.aggregate === 'product' ? Math.exp(p.score) : p.score,
    ops: p.edges.map((i) => g.nodes[edges[i]!.node]!.name),
  }));
  return { values, edges, P, pi, tas, paths };
}
