// Zero-shot proxies: numbers read off a candidate's graph, or measured on real batches, that are
// meant to rank candidates without training them. Every proxy is one entry of REGISTRY, which
// declares
// - its sign: +1 when a higher value should mean a better (more accurate) network, −1 when
//   lower should; rank statistics (`--against`) are computed on sign × value;
// - its level: 'graph' proxies depend on the network as built (parameters and costs count
//   every layer, even one whose output cannot reach the result, as NAS-Bench-201 counts them);
//   'function' proxies depend only on what the network computes (the functional view of
//   analysis/topology.ts), so they are computed once per canonical hash;
// - either `compute`, from the graph alone, or `data`: what the proxy needs measured on real
//   batches (data-proxies/needs.ts) and its reduction to a number (data-proxies/formulas.ts).
//   compiler/drivers/proxies/measure.ts runs the needs on a backend and calls the reductions.
// The registry is a mapped type over ProxyName: an entry missing a field, or a name without an
// entry, does not compile.
import { dtmc } from '../analysis/dtmc.js';
import { nnDegree } from '../analysis/nn-degree.js';
import { nnMass } from '../analysis/nn-mass.js';
import { activationBytes, summarize, type Summary } from '../analysis/summary.js';
import { functionalView, type FunctionalView } from '../analysis/topology.js';
import { concrete, numel } from '../ir/shape.js';
import type { Graph, Node, ValueId } from '../ir/types.js';
import { getOp } from '../ops/registry.js';
import { fisher, gradNorm, jacobCov, naswotOf, snip, zico } from './data-proxies/formulas.js';
import { layerOutputs } from './data-proxies/layers.js';
import { dataProxy, type DataProxySpec } from './data-proxies/needs.js';
import { synflowRun } from './data-proxies/synflow.js';
import { cacheSlot } from '../ir/cache-slot.js';

export interface Costs {
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
}

/**
 * Parameters (a shared one once, buffers not counted), MACs and FLOPs, by the same rules as
 * analysis/summary.ts (the tests check they agree) without building per-layer rows.
 */
export function costs(g: Graph, bind: Readonly<Record<string, number>>): Costs {
  return { params: paramCount(g), macs: macsOf(g, bind), flops: flopsOf(g, bind) };
}

/** Trainable and frozen parameters; buffers are not counted. */
export function paramCount(g: Graph): number {
  let params = 0;
  for (const p of g.params) if (!p.buffer) params += numel(p.shape);
  return params;
}

/**
 * Trainable and frozen parameters that the output depends on: those read by a node of the
 * functional view (a layer whose result is multiplied by a `none` edge or cannot reach the
 * output counts nothing). NAS-Bench-201 counts such a cell's parameters in full, though the
 * network computes a constant: 10 % accuracy with the most parameters of the space.
 */
export function liveParamCount(g: Graph, view: FunctionalView): number {
  const counted = new Set<number>();
  let params = 0;
  for (const n of view.live)
    for (let i = n.dataInputs; i < n.inputs.length; i++) {
      const d = g.values[n.inputs[i]!]!.def;
      if (d.kind !== 'param' || counted.has(d.param)) continue;
      counted.add(d.param);
      const p = g.params[d.param]!;
      if (!p.buffer) params += numel(p.shape);
    }
  return params;
}

/** Only conv, linear and matmul nodes have MACs: the other ops are skipped without a cost call. */
export function macsOf(g: Graph, bind: Readonly<Record<string, number>>): number {
  return sumCosts(g, bind, true);
}

export function flopsOf(g: Graph, bind: Readonly<Record<string, number>>): number {
  return sumCosts(g, bind, false);
}

/** MACs or FLOPs of some of a graph's nodes (all of them unless `nodes` says which). */
export function sumCosts(
  g: Graph,
  bind: Readonly<Record<string, number>>,
  macsOnly: boolean,
  nodes: readonly Node[] = g.nodes,
): number {
  let total = 0;
  const bindKey = Object.entries(bind).join(';');
  const shapeOf = (v: ValueId) => concrete(g.values[v]!.type.shape, bind);
  for (const n of nodes) {
    const op = getOp(n.op)!;
    if (macsOnly && op.kind !== 'conv' && op.kind !== 'matmul') continue;
    // Nodes replayed from one memoised block expansion share their attribute object and
    // output type with the recorded node, and so their cost (see costCache below).
    const type = g.values[n.outputs[0]!]!.type;
    let c = costCache.get(n.attrs);
    if (!c || c.type !== type || c.bind !== bindKey) {
      const k = op.cost({
        inputs: n.inputs.slice(0, n.dataInputs).map(shapeOf),
        params: n.inputs.slice(n.dataInputs).map(shapeOf),
        outputs: n.outputs.map(shapeOf),
        attrs: n.attrs,
      });
      costCache.set(n.attrs, (c = { type, bind: bindKey, macs: k.macs, flops: k.flops }));
    }
    total += macsOnly ? c.macs : c.flops;
  }
  return total;
}

/**
 * Per-node costs, keyed by the node's attribute object. Every op application makes a fresh
 * attribute object, and only the memoised block expansion (elaborate/memo.ts) shares one, between
 * a recorded node and its replays, whose input types the memo key fixes. The output type
 * object is shared the same way and checked too.
 */
const costCache = cacheSlot<{
  readonly type: object;
  readonly bind: string;
  readonly macs: number;
  readonly flops: number;
}>('cost');

/** What a proxy may ask of a candidate; everything is computed at most once. */
export class ProxyContext {
  private _view: FunctionalView | undefined;
  private _summary: Summary | undefined;
  private _params: number | undefined;
  private _macs: number | undefined;
  private _flops: number | undefined;
  private _activation: number | undefined;
  constructor(
    readonly graph: Graph,
    readonly bind: Readonly<Record<string, number>>,
  ) {}
  get view(): FunctionalView {
    return (this._view ??= functionalView(this.graph));
  }
  get params(): number {
    return (this._params ??= paramCount(this.graph));
  }
  get macs(): number {
    return (this._macs ??= macsOf(this.graph, this.bind));
  }
  get flops(): number {
    return (this._flops ??= flopsOf(this.graph, this.bind));
  }
  get summary(): Summary {
    return (this._summary ??= summarize(this.graph, this.bind));
  }
  get activationBytes(): number {
    return this._summary?.activation_bytes ?? (this._activation ??= activationBytes(this.graph, this.bind));
  }
}

export type ProxyName =
  | 'params'
  | 'live_params'
  | 'macs'
  | 'flops'
  | 'activation_bytes'
  | 'peak_bytes'
  | 'nn_mass'
  | 'nn_degree'
  | 'dtmc_tps'
  | 'zico'
  | 'synflow'
  | 'naswot'
  | 'grad_norm'
  | 'snip'
  | 'jacob_cov'
  | 'fisher';

interface Declared {
  readonly doc: string;
  readonly sign: 1 | -1;
}

/** A proxy computed from the graph alone. */
export interface GraphProxy extends Declared {
  readonly level: 'graph' | 'function';
  readonly compute: (ctx: ProxyContext) => number;
  readonly data?: never;
}

/** A proxy measured on real batches by a backend (compiler/drivers/proxies). */
export interface DataProxy extends Declared {
  /** Measured on the network as built, with its own initialisation. */
  readonly level: 'graph';
  readonly data: DataProxySpec;
  readonly compute?: never;
}

export type ProxyEntry = GraphProxy | DataProxy;

export type Registry = { readonly [K in ProxyName]: ProxyEntry };

export const REGISTRY: Registry = {
  params: {
    doc: 'trainable and frozen parameters (buffers not counted)',
    sign: 1,
    level: 'graph',
    compute: (c) => c.params,
  },
  live_params: {
    doc: 'parameters of the layers that can affect the output (the functional view), each once',
    sign: 1,
    level: 'function',
    compute: (c) => liveParamCount(c.graph, c.view),
  },
  macs: {
    doc: 'multiply-accumulates of conv, linear and matmul (NAS-Bench-201 "flops" = macs + the classifier bias)',
    sign: 1,
    level: 'graph',
    compute: (c) => c.macs,
  },
  flops: {
    doc: 'floating-point operations of every op (1 MAC = 2 FLOPs)',
    sign: 1,
    level: 'graph',
    compute: (c) => c.flops,
  },
  activation_bytes: {
    doc: 'bytes of all layer outputs (what training keeps)',
    sign: 1,
    level: 'graph',
    compute: (c) => c.activationBytes,
  },
  peak_bytes: {
    doc: 'peak live activation bytes of an inference pass',
    sign: 1,
    level: 'graph',
    compute: (c) => c.summary.activation_peak_bytes,
  },
  nn_mass: {
    doc: "NN-Mass (Bhardwaj et al., CVPR 2021), the official code's formulas",
    sign: 1,
    level: 'function',
    compute: (c) => nnMass(c.graph, c.view).total,
  },
  nn_degree: {
    doc: 'NN-Degree (FLASH), Σ over cells of w + t/d (working definition)',
    sign: 1,
    level: 'function',
    compute: (c) => nnDegree(c.graph, c.view).total,
  },
  dtmc_tps: {
    doc: 'TIPS: the best path score (sum of stationary probabilities along it)',
    sign: 1,
    level: 'function',
    compute: (c) => dtmc(c.graph, { k: 1 }, c.view).paths[0]?.score ?? 0,
  },
  zico: {
    doc: 'ZiCo (ICLR 2023): Σ over conv/linear weights of ln Σ mean|g|/std(g) across 2 batches, training-mode batchnorm',
    sign: 1,
    level: 'graph',
    data: dataProxy({ needs: { weightGrads: 2 }, batchnorm: 'train', reduce: (m) => zico(m.weightGrads) }),
  },
  synflow: {
    doc: 'SynFlow: Σ |w ⊙ ∂R/∂w| with |weights|, batchnorm removed, an all-ones input, R = Σ outputs',
    sign: 1,
    level: 'graph',
    data: dataProxy({ needs: { custom: synflowRun }, batchnorm: 'removed', reduce: (m) => m.custom }),
  },
  naswot: {
    doc: 'NASWOT: log|det K| of the ReLU activation-code kernel of one batch',
    sign: 1,
    level: 'graph',
    data: dataProxy({
      needs: { reluInputs: true },
      batchnorm: 'train',
      reduce: (m) => naswotOf(m.reluInputs, m.batch),
    }),
  },
  grad_norm: {
    doc: 'GradNorm: Σ over conv/linear weights of ‖∂L/∂w‖₂ (cross-entropy, one batch)',
    sign: 1,
    level: 'graph',
    data: dataProxy({ needs: { weightGrads: 1 }, batchnorm: 'train', reduce: (m) => gradNorm(m.weightGrads[0]!) }),
  },
  snip: {
    doc: 'SNIP: Σ |w ⊙ ∂L/∂w| over conv/linear weights (cross-entropy, one batch)',
    sign: 1,
    level: 'graph',
    data: dataProxy({
      needs: { weightGrads: 1 },
      batchnorm: 'train',
      reduce: (m) => snip(m.weightGrads[0]!, new Map(m.weights.map((w) => [w, m.params.get(w)!]))),
    }),
  },
  jacob_cov: {
    doc: 'Jacob_cov: −Σ ln(λ+k) + 1/(λ+k) over the eigenvalues of the per-sample input-gradient correlations, k = 1e-5',
    sign: 1,
    level: 'graph',
    data: dataProxy({
      needs: { inputGrads: true },
      batchnorm: 'train',
      reduce: (m) => jacobCov(m.inputGrads, m.batch),
    }),
  },
  fisher: {
    doc: 'Fisher (zero-cost-nas): Σ over conv/linear outputs a and channels of 0.5·mean_n (Σ a·∂L/∂a over positions)², each channel counted once per weight it owns (cross-entropy, one batch)',
    sign: 1,
    level: 'graph',
    data: dataProxy({
      needs: { valueGrads: (g) => layerOutputs(g).map((l) => l.value) },
      batchnorm: 'train',
      reduce: (m) => fisher(layerOutputs(m.graph), m.valueGrads),
    }),
  },
};

/** A registry entry with its name; `compute` of a data proxy throws (it is measured, not computed). */
export interface Proxy {
  readonly name: ProxyName;
  readonly doc: string;
  readonly sign: 1 | -1;
  readonly level: 'graph' | 'function';
  /** What a data-dependent proxy needs measured and how it reduces it; absent for the others. */
  readonly data?: DataProxySpec;
  compute(ctx: ProxyContext): number;
}

const runtimeOnly = (name: string) => (): number => {
  throw new Error(`${name} is a data-dependent proxy: it is measured by the runtime, not computed from the graph`);
};

/** Every proxy, in the registry's order. */
export const PROXIES: readonly Proxy[] = (Object.keys(REGISTRY) as ProxyName[]).map((name) => {
  const e = REGISTRY[name];
  return e.data
    ? { name, doc: e.doc, sign: e.sign, level: e.level, data: e.data, compute: runtimeOnly(name) }
    : { name, doc: e.doc, sign: e.sign, level: e.level, compute: e.compute };
});

export function isProxyName(name: string): name is ProxyName {
  return Object.hasOwn(REGISTRY, name);
}

export function getProxy(name: string): Proxy | undefined {
  return PROXIES.find((p) => p.name === name);
}

/** How many batches the named proxies' measurements read (at least 1). */
export function batchesFor(names: readonly string[]): number {
  let n = 1;
  for (const p of names) n = Math.max(n, getProxy(p)?.data?.needs.weightGrads ?? 1);
  return n;
}

/** What a row records as `bn`: batch statistics, and which of the named proxies remove batchnorm. */
export function batchnormOf(names: readonly string[]): string {
  const removed = names.filter((p) => getProxy(p)?.data?.batchnorm === 'removed');
  return ['train', ...removed.map((p) => `${p}: removed`)].join('; ');
}
