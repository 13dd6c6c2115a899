// What a data-dependent proxy asks to be measured, and what its reduction then receives.
//
// A proxy declares its needs; the measurement (compiler/drivers/proxies/measure.ts) builds and
// runs each kind of need once per candidate, however many proxies share it, and calls each
// proxy's reduction on what was measured. `dataProxy` ties a reduction's argument type to the
// needs declared beside it, so a reduction that reads something it did not ask for does not
// compile.
import type { Graph, ValueId } from '../../ir/types.js';
import type { ProxyBackend } from './program.js';

/** Per layer (by the weight's parameter name), one flattened gradient. */
export type LayerGrads = ReadonlyMap<string, ArrayLike<number>>;

/** What a proxy's run of its own is given. */
export interface RunContext {
  readonly graph: Graph;
  readonly backend: ProxyBackend;
  /** The initial parameters (float64, from the row's seed), shared by every need of the candidate. */
  readonly params: ReadonlyMap<string, Float64Array>;
}

/** A run of the proxy's own (a modified network, a special input), straight to its value. */
export type CustomRun = (ctx: RunContext) => Promise<number>;

/** Which values of the network (by id: layers' outputs, say) a proxy wants the gradients of. */
export type ValueSelector = (g: Graph) => readonly ValueId[];

/** Every kind of need, each optional; several proxies asking for the same kind share one run. */
export interface Needs {
  /**
   * Cross-entropy (mean) gradients of the conv/linear weights, training mode, on each of the
   * first k batches: the value is k.
   */
  readonly weightGrads?: number;
  /** Per-sample gradients of Σ outputs with respect to the input on the first batch, training mode. */
  readonly inputGrads?: true;
  /** The input of every ReLU on the first batch, training mode. */
  readonly reluInputs?: true;
  /**
   * Chosen values of the network and the cross-entropy (mean) gradients with respect to them,
   * ∂L/∂v through every path from v to the loss, on the first batch, training mode.
   */
  readonly valueGrads?: ValueSelector;
  /** A run of the proxy's own. */
  readonly custom?: CustomRun;
}

export type NeedKind = keyof Needs;

/** A ReLU's input [B, …], and how many ReLUs read that value. */
export interface ReluInput {
  readonly values: ArrayLike<number>;
  readonly times: number;
}

/** A value of the network on a batch, and the loss's gradient with respect to it. */
export interface ValueGrad {
  /** Its shape, the batch dim bound. */
  readonly shape: readonly number[];
  readonly value: ArrayLike<number>;
  readonly grad: ArrayLike<number>;
}

/** What each kind of need yields, as the proxy that asked sees it. */
export interface Measurements {
  /** One map per batch asked for: weight name → gradient (flattened). */
  readonly weightGrads: readonly LayerGrads[];
  /** [B, …input] flattened. */
  readonly inputGrads: ArrayLike<number>;
  /** In node order of the ReLUs (a value once). */
  readonly reluInputs: readonly ReluInput[];
  /** The values the proxy's selector chose, in its order. */
  readonly valueGrads: ReadonlyMap<ValueId, ValueGrad>;
  /** The value of the proxy's own run. */
  readonly custom: number;
}

/** What every reduction sees besides its measurements. */
export interface Candidate {
  readonly graph: Graph;
  /** Samples per batch. */
  readonly batch: number;
  /** The initial parameters (float64). */
  readonly params: ReadonlyMap<string, Float64Array>;
  /** The conv/linear weights' names, in node order (a shared weight once). */
  readonly weights: readonly string[];
}

/** What a reduction that declared `N` receives: exactly the measurements it asked for. */
export type Measured<N extends Needs> = Candidate & { readonly [K in keyof N & NeedKind]-?: Measurements[K] };

export interface DataProxySpec {
  readonly needs: Needs;
  /** How the proxy's runs treat batchnorm: batch statistics ('train'), or removed; rows record it. */
  readonly batchnorm: 'train' | 'removed';
  /** From what was measured to the proxy's value, in float64. Called with `needs` measured. */
  readonly reduce: (m: Measured<Needs>) => number;
}

/** A data proxy's declaration, its reduction typed by its needs. */
export function dataProxy<const N extends Needs>(spec: {
  readonly needs: N;
  readonly batchnorm: 'train' | 'removed';
  readonly reduce: (m: Measured<N>) => number;
}): DataProxySpec {
  // Measured<Needs> has every measurement, so it is a Measured<N> for any N (tsc cannot see it
  // for a generic N). At run time only N's measurements are present, which is all it reads.
  return { needs: spec.needs, batchnorm: spec.batchnorm, reduce: (m) => spec.reduce(m as Measured<N>) };
}
