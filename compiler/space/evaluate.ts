// Scores candidates of an open space: index → graph → hashes → proxy values, one result row
// per candidate. Candidates with the same canonical hash (the same function) reuse the
// 'function'-level proxies, computed once. Static rows are computed without the candidate's
// graph where that gives the same row: by default from its composition out of its candidate
// trace (traced.ts), on request from cached analyses of its cells (incremental.ts); else, and
// always for the data-dependent proxies, from the candidate's full graph.
import { bindDims } from '../analysis/summary.js';
import { renderDiagnostic } from '../diagnostics/render.js';
import { LruMap } from '../elaborate/memo.js';
import { functionHash } from './canonical.js';
import { COMPOSED, IncrementalAnalyser, SUMMED, type Fallback } from './incremental.js';
import { getProxy, ProxyContext, type Proxy } from './proxies.js';
import type { Graph } from '../ir/types.js';
import { candidate, type OpenSpace } from './space.js';
import { TracedAnalyser } from './traced.js';

/**
 * How static rows are computed: from compositions of candidate traces where a candidate has
 * one (traced.ts), from cached cell analyses (incremental.ts), or always from full graphs.
 */
export type StaticAnalysis = 'traced' | 'incremental' | 'full';

/** Measures the data-dependent proxies of a candidate's graph (compiler/drivers/proxies), values by name. */
export type Measure = (graph: Graph) => Promise<Readonly<Record<string, number | string>>>;

/** One scored candidate. Proxy values are keyed by proxy name. */
export interface Row {
  /** The candidate's index in the space (a string when it exceeds 2^53). */
  readonly index: number | string;
  readonly arch: string;
  /** Canonical (functional) hash; absent on errors. */
  readonly hash?: string;
  readonly error?: string;
  readonly [proxy: string]: number | string | undefined;
}

export function indexValue(i: bigint): number | string {
  return i <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(i) : i.toString();
}

const CACHE = 1 << 16;

export class Scorer {
  private readonly proxies: readonly Proxy[];
  private readonly byFunction = new LruMap<string, Record<string, number>>(CACHE);
  /** Distinct functions and networks seen by this scorer. */
  readonly functions = new Set<string>();
  /** Rows computed without a full graph, and why the others were computed from the full graph. */
  readonly counts = { incremental: 0, fallbacks: new Map<Fallback, number>(), mismatches: 0 };
  private readonly analyser: IncrementalAnalyser | TracedAnalyser | undefined;
  constructor(
    readonly space: OpenSpace,
    proxies: readonly string[],
    readonly batch = 1,
    /**
     * 'traced' by default. 'incremental' is measured in `npm run bench`: it costs about twice
     * what full graphs cost on NAS-Bench-201, since coarse instances cannot be replayed from
     * candidate traces (elaborate/trace.ts), and on a space of DenseNet-type cells most new
     * functions fall back, paying both ways.
     */
    analysis: StaticAnalysis = 'traced',
  ) {
    this.proxies = proxies.flatMap((p) => {
      const x = getProxy(p);
      if (!x) throw new Error(`unknown proxy ${p}`);
      return x.data ? [] : [x];
    });
    this.analyser =
      analysis === 'incremental'
        ? new IncrementalAnalyser(space)
        : analysis === 'traced'
          ? new TracedAnalyser(space)
          : undefined;
  }

  /** The analyser of static rows without full graphs, and what it counted. */
  get stats(): IncrementalAnalyser['stats'] | TracedAnalyser['stats'] | undefined {
    return this.analyser?.stats;
  }

  /** The graph-only proxies of candidate `index`, then the data-dependent ones from `measure`. */
  async scoreWith(index: bigint, measure: Measure): Promise<Row> {
    const { row, graph } = this.scoreGraph(index);
    if (!graph) return row;
    try {
      return { ...row, ...(await measure(graph)) };
    } catch (e) {
      return { ...row, error: (e as Error).message.split('\n')[0]! };
    }
  }

  score(index: bigint): Row {
    if (!this.analyser) return this.scoreGraph(index).row;
    const why: Fallback | undefined = this.proxies.some((p) => p.level === 'graph' && !SUMMED.has(p.name))
      ? 'proxy needs the graph'
      : undefined;
    const r = why
      ? { fallback: why }
      : this.analyser.analyse(index, (g) => bindDims(g, this.batch), {
          macs: this.proxies.some((p) => p.name === 'macs'),
          flops: this.proxies.some((p) => p.name === 'flops'),
          topology: this.proxies.some((p) => COMPOSED.has(p.name)),
        });
    let fn: Record<string, number> | undefined;
    let reason: Fallback = 'fallback' in r ? r.fallback : 'new function';
    if (!('fallback' in r)) {
      const fnProxies = this.proxies.filter((p) => p.level === 'function');
      fn = fnProxies.length > 0 ? this.byFunction.get(r.hash) : {};
      // A function not seen before gets NN-Mass and NN-Degree from its segments, where it can.
      if (!fn && fnProxies.every((p) => COMPOSED.has(p.name))) {
        const t = r.topology();
        if (t)
          this.byFunction.set(
            r.hash,
            (fn = Object.fromEntries(fnProxies.map((p) => [p.name, t[p.name as 'nn_mass']]))),
          );
        else reason = 'topology across segments';
      }
      if (fn) {
        this.counts.incremental++;
        this.functions.add(r.hash);
        const out: Record<string, number | string> = { hash: r.hash };
        for (const p of this.proxies) out[p.name] = p.level === 'function' ? fn[p.name]! : r[p.name as 'params']!;
        return { index: indexValue(index), arch: r.arch, ...out };
      }
    }
    this.counts.fallbacks.set(reason, (this.counts.fallbacks.get(reason) ?? 0) + 1);
    const row = this.scoreGraph(index).row;
    // The full graph's hash is computed anyway: a disagreement would be a bug, and is counted.
    if (!('fallback' in r) && row.hash !== r.hash) this.counts.mismatches++;
    return row;
  }

  private scoreGraph(index: bigint): { row: Row; graph?: Graph } {
    const inst = candidate(this.space, index);
    const base = { index: indexValue(index), arch: inst.name };
    if (!inst.graph) {
      const first = inst.diagnostics.find((d) => d.severity === 'error');
      const error = first
        ? renderDiagnostic(first, this.space.sources).split('\n')[0]!
        : 'the candidate did not elaborate';
      return { row: { ...base, error } };
    }
    const g = inst.graph;
    const ctx = new ProxyContext(g, bindDims(g, this.batch));
    const hash = functionHash(g, ctx.view);
    this.functions.add(hash);
    const out: Record<string, number | string> = { hash };
    const fnCached = this.byFunction.get(hash);
    const fnValues: Record<string, number> = fnCached ?? {};
    for (const p of this.proxies) {
      if (p.level === 'function') {
        if (fnCached) out[p.name] = fnCached[p.name]!;
        else out[p.name] = fnValues[p.name] = p.compute(ctx);
      } else out[p.name] = p.compute(ctx);
    }
    if (!fnCached) this.byFunction.set(hash, fnValues);
    return { row: { ...base, ...out }, graph: g };
  }
}
