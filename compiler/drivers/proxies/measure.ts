// The data-dependent proxies of one candidate: each requested proxy declares what it needs
// (compiler/space/proxies.ts, data-proxies/needs.ts); each run that serves those needs is built
// and run once on the backend, however many proxies share it; then each proxy's reduction turns
// its slice of the measurements into its value, on the host in float64.
//
// Parameters are initialised once on the host from the row's seed (the initialisers of the
// graph, as training would start), so a WebGPU run and a reference run see the same network,
// and every run of a candidate sees the same one. Values already drawn for an earlier
// candidate (the same name, shape and initialiser) are copied from init-cache.ts.
import type { Graph } from '../../ir/types.js';
import { layerWeights } from '../../space/data-proxies/layers.js';
import type { Measured, NeedKind, Needs } from '../../space/data-proxies/needs.js';
import type { ProxyBackend } from '../../space/data-proxies/program.js';
import { getProxy } from '../../space/proxies.js';
import type { ProxyBatch } from './data.js';
import { initialValues } from './init-cache.js';
import { RUN_OF } from './runs.js';
import type { Run, Slice } from './measurements/run.js';

// The proxies' own runs, for callers that measure one directly (tests, experiments).
export * from '../../space/data-proxies/synflow.js';

export interface MeasureOptions {
  readonly backend: ProxyBackend;
  /** As many batches as the proxies read (a proxy reads the first ones). */
  readonly batches: readonly ProxyBatch[];
  readonly batch: number;
  /** Seed of the parameter initialisation. */
  readonly seed: number;
  /** Proxy names; those that are not data-dependent are left out. */
  readonly proxies: readonly string[];
  /** Multiplies the cross-entropy gradients (tests of how proxies scale with the loss). */
  readonly lossScale?: number;
}

function initial(g: Graph, seed: number): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  for (const p of g.params) m.set(p.name, initialValues(p, seed));
  return m;
}

/** Every requested data proxy of one candidate, by name. */
export async function measure(g: Graph, opts: MeasureOptions): Promise<Record<string, number>> {
  const specs = opts.proxies.flatMap((name) => {
    const p = getProxy(name);
    if (!p) throw new Error(`unknown proxy ${name}`);
    return p.data ? [{ name, spec: p.data }] : [];
  });
  const params = initial(g, opts.seed);
  const input = {
    graph: g,
    backend: opts.backend,
    batches: opts.batches,
    batch: opts.batch,
    params,
    lossScale: opts.lossScale ?? 1,
  };

  // Each run once, with the needs of every proxy that asks something of it.
  const asking = new Map<Run, Needs[]>();
  for (const { spec } of specs)
    for (const kind of Object.keys(spec.needs) as NeedKind[]) {
      if (spec.needs[kind] === undefined) continue;
      const run = RUN_OF[kind];
      const list = asking.get(run) ?? [];
      if (!list.includes(spec.needs)) list.push(spec.needs);
      asking.set(run, list);
    }
  const slices: Slice[] = [];
  for (const [run, asked] of asking) slices.push(await run.measure(input, asked));

  const candidate = { graph: g, batch: opts.batch, params, weights: layerWeights(g) };
  const out: Record<string, number> = {};
  for (const { name, spec } of specs) {
    // Only what the proxy declared is present: its reduction is typed to read no more.
    const m = Object.assign({}, candidate, ...slices.map((s) => s(spec.needs))) as Measured<Needs>;
    out[name] = spec.reduce(m);
  }
  return out;
}
