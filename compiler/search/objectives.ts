// What a search can optimise and constrain: every proxy of compiler/space/proxies.ts (static
// ones computed from the graph, data-dependent ones measured on real batches), the true
// accuracy (a benchmark table, `truth`), and the hardware costs of the compiled plan on the
// WebGPU adapter at hand (measured by compiler/drivers/search/hardware.ts). A search section
// names them bare in `maximize`/`minimize` (`maximize = [accuracy]`) and called with bounds in
// `constraints` (`constraints = [macs(max=100e6), latency(max=20)]`).
//
// The registry is a mapped type over ObjectiveName: the proxies' entries derive from theirs, the
// others are written here; a name without an entry, or an entry without a field, does not compile.
import { PROXIES, type ProxyName } from '../space/proxies.js';

/** Where a value comes from, in the order an evaluation obtains them (cheap first). */
export type ObjectiveSource = 'static' | 'hardware' | 'data' | 'truth';

export interface ObjectiveDef {
  readonly doc: string;
  readonly source: ObjectiveSource;
  /** +1 when more is better (accuracy, most proxies), −1 when less is (latency, memory). */
  readonly better: 1 | -1;
  /** How reports print it. */
  readonly unit?: string;
}

export type HardwareObjective = 'latency' | 'train_step' | 'plan_bytes';
export type ObjectiveName = ProxyName | 'accuracy' | HardwareObjective;

const OWN: { readonly [K in Exclude<ObjectiveName, ProxyName>]: ObjectiveDef } = {
  accuracy: {
    doc: 'true accuracy: the truth table (`truth = "TABLE.csv"`, `--truth`) looked up by candidate name',
    source: 'truth',
    better: 1,
  },
  latency: {
    doc: "inference latency of the compiled forward plan on this machine's WebGPU adapter (median of timed runs)",
    source: 'hardware',
    better: -1,
    unit: 'ms',
  },
  train_step: {
    doc: 'time of one compiled training step (forward, cross-entropy, backward, SGD update) on the adapter',
    source: 'hardware',
    better: -1,
    unit: 'ms',
  },
  plan_bytes: {
    doc: 'bytes the compiled inference plan allocates on the adapter (inputs, parameters, temporaries)',
    source: 'hardware',
    better: -1,
    unit: 'B',
  },
};

const fromProxies = Object.fromEntries(
  PROXIES.map((p) => [p.name, { doc: p.doc, source: p.data ? 'data' : 'static', better: p.sign } as ObjectiveDef]),
) as { readonly [K in ProxyName]: ObjectiveDef };

export const OBJECTIVES: { readonly [K in ObjectiveName]: ObjectiveDef } = { ...fromProxies, ...OWN };

export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

export function isObjectiveName(name: string): name is ObjectiveName {
  return Object.hasOwn(OBJECTIVES, name);
}

export function sourceOf(name: ObjectiveName): ObjectiveSource {
  return OBJECTIVES[name].source;
}
