// Scores candidates of an open space: index → graph → hashes → proxy values, one result row
// per candidate. Candidates with the same canonical hash (the same function) reuse the
// 'function'-level proxies, computed once.
import { bindDims } from '../analysis/summary.js';
import { renderDiagnostic } from '../diagnostics/render.js';
import { LruMap } from '../elaborate/memo.js';
import { functionHash } from './canonical.js';
import { getProxy, ProxyContext, type Proxy } from './proxies.js';
import type { Graph } from '../ir/types.js';
import { candidate, type OpenSpace } from './space.js';

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
  constructor(
    readonly space: OpenSpace,
    proxies: readonly string[],
    readonly batch = 1,
  ) {
    this.proxies = proxies.flatMap((p) => {
      const x = getProxy(p);
      if (!x) throw new Error(`unknown proxy ${p}`);
      return x.data ? [] : [x];
    });
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
    return this.scoreGraph(index).row;
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
