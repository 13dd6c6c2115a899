// Fast-NTK unlearning of a trained classifier: the Jacobians of its logits in a parameter subset
// on a proxy backend, the residuals at the trained weights, and the two regularised fits (the
// retain set's and the whole set's) solved on the host in float64 (compiler/unlearn/ntk.ts);
// the subset moves by s·(θ_retain − θ_all), every other parameter stays as it was.
import type { Graph } from '../../ir/types.js';
import { ridgeFit, ntkUpdate, smallerForm, type Jacobian, type SolveForm } from '../../unlearn/ntk.js';
import { residuals, type UnlearnLoss } from '../../unlearn/residual.js';
import type { SubsetEntry } from '../../unlearn/subset.js';
import type { ProxyBackend } from '../proxies/backend.js';
import { chooseMode, jacobian, type JacobianMode } from './jacobian.js';
import { predict } from './predict.js';

export interface FastNtkRequest {
  readonly graph: Graph;
  readonly backend: ProxyBackend;
  /** Every parameter and buffer of the trained model. */
  readonly params: ReadonlyMap<string, Float64Array>;
  readonly subset: readonly SubsetEntry[];
  /** The samples the update sees (forget and retain), normalised, n × per values. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly sampleShape: readonly number[];
  readonly classes: number;
  /** Indices (into x) of the forget set; every other sample is retained. */
  readonly forget: ReadonlySet<number>;
  readonly lambda: number;
  readonly scale: number;
  readonly loss: UnlearnLoss;
  readonly form: SolveForm | 'auto';
  readonly mode: JacobianMode | 'auto';
  /** Samples per device run. */
  readonly batch: number;
  readonly log?: (line: string) => void;
}

export interface FastNtkResult {
  /** Every parameter and buffer: the subset updated, the rest as given. */
  readonly params: Map<string, Float64Array>;
  readonly form: SolveForm;
  readonly mode: JacobianMode;
  readonly subsetSize: number;
  /** ‖θ_new − θ*‖₂ over the subset. */
  readonly change: number;
  readonly seconds: { readonly jacobian: number; readonly solve: number; readonly total: number };
}

export async function fastNtk(r: FastNtkRequest): Promise<FastNtkResult> {
  const t0 = performance.now();
  const n = r.labels.length;
  const C = r.classes;
  const P = r.subset.reduce((a, s) => a + s.size, 0);
  const theta = new Float64Array(P);
  let at = 0;
  for (const s of r.subset) {
    theta.set(r.params.get(s.name)!, at);
    at += s.size;
  }
  const jr = {
    graph: r.graph,
    backend: r.backend,
    params: r.params,
    subset: r.subset,
    x: r.x,
    samples: n,
    sampleShape: r.sampleShape,
    classes: C,
    batch: r.batch,
  };
  const mode = chooseMode(r.mode, jr);
  const form = r.form === 'auto' ? smallerForm(n, C, P) : r.form;
  r.log?.(
    `Fast-NTK: ${P} parameters in ${r.subset.length} tensors, ${n} samples (${r.forget.size} to forget) × ${C} logits; Jacobians in ${mode} mode on ${r.backend.description}, ${form} form (${form === 'kernel' ? `${n * C}²` : `${P}²`}), λ = ${r.lambda}, s = ${r.scale}`,
  );
  const logits = await predict(r.backend, r.graph, r.params, r.x, n, C, r.batch);
  const J: Jacobian = await jacobian(jr, mode);
  const t1 = performance.now();
  const res = residuals(r.loss, logits, r.labels, C);
  const all = Array.from({ length: n }, (_, i) => i);
  const retain = all.filter((i) => !r.forget.has(i));
  // An empty forget set: both fits are the same system, and the update is exactly zero.
  const allFit = ridgeFit(J, res, theta, all, r.lambda, form);
  const retainFit = r.forget.size === 0 ? allFit : ridgeFit(J, res, theta, retain, r.lambda, form);
  const next = ntkUpdate(theta, retainFit, allFit, r.scale);
  const t2 = performance.now();
  const params = new Map(r.params);
  at = 0;
  let change = 0;
  for (const s of r.subset) {
    params.set(s.name, next.slice(at, at + s.size));
    at += s.size;
  }
  for (let p = 0; p < P; p++) change += (next[p]! - theta[p]!) ** 2;
  return {
    params,
    form,
    mode,
    subsetSize: P,
    change: Math.sqrt(change),
    seconds: { jacobian: (t1 - t0) / 1000, solve: (t2 - t1) / 1000, total: (t2 - t0) / 1000 },
  };
}
