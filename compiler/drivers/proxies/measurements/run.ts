// One run of a candidate's network on a backend that serves one or more kinds of need
// (compiler/space/data-proxies/needs.ts). It is built once for everything the requested
// proxies ask of it, and returns each proxy's slice of what it measured.
import type { Graph } from '../../../ir/types.js';
import type { Measurements, Needs } from '../../../space/data-proxies/needs.js';
import type { ProxyBackend } from '../../../space/data-proxies/program.js';
import type { ProxyBatch } from '../data.js';

export interface MeasureInput {
  readonly graph: Graph;
  readonly backend: ProxyBackend;
  readonly batches: readonly ProxyBatch[];
  readonly batch: number;
  /** The initial parameters (float64), the same for every run of the candidate. */
  readonly params: ReadonlyMap<string, Float64Array>;
  /** Multiplies every cross-entropy gradient (tests of how proxies scale with the loss). */
  readonly lossScale: number;
}

/** What one proxy, by its needs, sees of a run. */
export type Slice = (needs: Needs) => Partial<Measurements>;

export interface Run {
  /** `asked`: the needs of every requested proxy that asks this run for something. */
  measure(c: MeasureInput, asked: readonly Needs[]): Promise<Slice>;
}

/** Elements of value `v` with every symbolic dim (the batch) bound to `batch`. */
export function sizeOf(g: Graph, v: number, batch: number): number {
  return g.values[v]!.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : batch), 1);
}
