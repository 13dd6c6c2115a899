// The data-dependent proxies of one candidate: builds the few graphs they need (a training-mode
// cross-entropy gradient graph for ZiCo, GradNorm and SNIP; a training-mode input-gradient
// graph that also keeps the ReLU inputs for Jacob_cov and NASWOT; an inference-mode gradient
// graph on |weights| for SynFlow), runs them on a backend, and reduces on the host in float64
// (compiler/space/data-proxies/formulas.ts).
//
// Parameters are initialised once on the host from the row's seed (the initialisers of the
// graph, as training would start), so a WebGPU run and a reference run see the same network.
import { buildGradient } from '../../autodiff/grad.js';
import { initParams } from '../../reference/init.js';
import type { Graph } from '../../ir/types.js';
import {
  addReluCodes,
  gradNorm,
  jacobCov,
  naswot,
  snip,
  synflow,
  zico,
  type LayerGrads,
} from '../../space/data-proxies/formulas.js';
import {
  batchnorms,
  homogeneous,
  imageInput,
  layerWeights,
  multiplicative,
  reluInputs,
} from '../../space/data-proxies/layers.js';
import type { ProxyBackend } from './backend.js';
import type { ProxyBatch } from './data.js';

export const DATA_PROXY_NAMES = ['zico', 'synflow', 'naswot', 'grad_norm', 'snip', 'jacob_cov'] as const;
export type DataProxyName = (typeof DATA_PROXY_NAMES)[number];

export interface MeasureOptions {
  readonly backend: ProxyBackend;
  /** Two batches (ZiCo uses both, the others the first). */
  readonly batches: readonly ProxyBatch[];
  readonly batch: number;
  /** Seed of the parameter initialisation. */
  readonly seed: number;
  readonly proxies: readonly string[];
  /** Multiplies the cross-entropy gradients (tests of ZiCo's scale invariance). */
  readonly lossScale?: number;
}

export interface SynflowDetail {
  readonly score: number;
  /** log2 of the input and cotangent scales used (0, 0: no rescaling). */
  readonly log2Input: number;
  readonly log2Cotangent: number;
}

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

function initial(g: Graph, seed: number): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  for (const [k, t] of initParams(g, seed, 'f64')) m.set(k, t.data as Float64Array);
  return m;
}

/** Every requested data proxy of one candidate, by name. */
export async function measure(g: Graph, opts: MeasureOptions): Promise<Record<string, number>> {
  const want = new Set(opts.proxies);
  const out: Record<string, number> = {};
  const params = initial(g, opts.seed);
  const weights = layerWeights(g);
  const input = imageInput(g);
  const B = opts.batch;

  if (want.has('zico') || want.has('grad_norm') || want.has('snip')) {
    const per = await weightGrads(g, opts, params, weights, want.has('zico') ? 2 : 1);
    if (want.has('zico')) out['zico'] = zico(per);
    if (want.has('grad_norm')) out['grad_norm'] = gradNorm(per[0]!);
    if (want.has('snip')) out['snip'] = snip(per[0]!, new Map(weights.map((w) => [w, params.get(w)!])));
  }

  if (want.has('jacob_cov') || want.has('naswot')) {
    const relus = want.has('naswot') ? reluInputs(g) : new Map<number, number>();
    const jac = want.has('jacob_cov');
    const gg = jac
      ? buildGradient(g, { loss: { kind: 'cotangents' }, params: false, wrtInputs: [input.name], training: true })
      : undefined;
    const graph = gg?.graph ?? g;
    const prog = await opts.backend.compile({ graph, batch: B, training: true, params, keep: [...relus.keys()] });
    try {
      const inputs: Record<string, Float32Array | Int32Array> = { [input.name]: opts.batches[0]!.x };
      const o = g.outputs[0]!;
      if (jac) inputs[`cot:${o.name}`] = new Float32Array(B * (sizeOf(g, o.value, B) / B)).fill(1);
      const r = await prog.run(inputs);
      if (jac) out['jacob_cov'] = jacobCov(r.outputs.get(`grad:input:${input.name}`)!, B);
      if (want.has('naswot')) {
        const k = new Float64Array(B * B);
        for (const [v, times] of relus) addReluCodes(k, r.kept.get(v)!, B, times);
        out['naswot'] = naswot(k, B);
      }
    } finally {
      prog.dispose();
    }
  }

  if (want.has('synflow')) out['synflow'] = (await synflowOf(g, opts.backend, params)).score;
  return out;
}

function sizeOf(g: Graph, v: number, batch: number): number {
  return g.values[v]!.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : batch), 1);
}

/** The cross-entropy gradients of the conv/linear weights on each of the first `n` batches (training mode). */
async function weightGrads(
  g: Graph,
  opts: MeasureOptions,
  params: ReadonlyMap<string, Float64Array>,
  weights: readonly string[],
  n: number,
): Promise<LayerGrads[]> {
  const gg = buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true });
  const prog = await opts.backend.compile({ graph: gg.graph, batch: opts.batch, training: true, params });
  const input = imageInput(g).name;
  const s = opts.lossScale ?? 1;
  try {
    const per: LayerGrads[] = [];
    for (let k = 0; k < n; k++) {
      const b = opts.batches[k];
      if (!b) throw new Error(`ZiCo needs ${n} batches, got ${opts.batches.length}`);
      const r = await prog.run({ [input]: b.x, labels: b.y });
      per.push(
        new Map(
          weights.map((w) => {
            const gr = r.outputs.get(`grad:${w}`)!;
            return [w, s === 1 ? gr : f64(gr).map((x) => x * s)];
          }),
        ),
      );
    }
    return per;
  } finally {
    prog.dispose();
  }
}

/**
 * SynFlow as the official code computes it in float64 (zero-cost-nas `synflow`, `bn=False`):
 * every parameter replaced by its absolute value, batchnorm removed, an all-ones input of
 * batch 1, R = Σ outputs, score Σ |w ⊙ ∂R/∂w| over conv/linear weights.
 *
 * Here batchnorm is made the identity in inference mode (γ = 1, β = 0, running mean 0 and
 * running variance 1 − eps). In float32 a deep network's R overflows (each layer multiplies by
 * roughly √(2·fan-in)), so the run is rescaled by powers of two, which are exact in floating
 * point: the cotangent of R is 2^−t (gradients are linear in it, always), and when every op is
 * positively homogeneous the input and every additive parameter (biases) are 2^−s, which
 * scales every activation by exactly 2^−s. A first run at 2^−64 measures log2 R; the second
 * centres activations and cotangents in float32's range, and the score divides 2^−(s+t) out
 * in float64. A network of other ops gets only the cotangent scale.
 */
export async function synflowOf(
  g: Graph,
  backend: ProxyBackend,
  initialParams: ReadonlyMap<string, Float64Array>,
): Promise<SynflowDetail> {
  const weights = layerWeights(g);
  const mult = multiplicative(g);
  const homog = homogeneous(g);
  const abs = new Map<string, Float64Array>();
  for (const [k, v] of initialParams) abs.set(k, v.map(Math.abs));
  const bnNames = new Set<string>();
  for (const bn of batchnorms(g)) {
    const c = abs.get(bn.mean)!.length;
    const reset = (name: string, value: Float64Array) => {
      abs.set(name, value);
      bnNames.add(name);
    };
    if (bn.weight) reset(bn.weight, new Float64Array(c).fill(1));
    if (bn.bias) reset(bn.bias, new Float64Array(c));
    reset(bn.mean, new Float64Array(c));
    reset(bn.variance, new Float64Array(c).fill(1 - bn.eps));
  }
  const gg = buildGradient(g, { loss: { kind: 'cotangents' }, training: false });
  const input = imageInput(g);
  const o = g.outputs[0]!;
  const outSize = sizeOf(g, o.value, 1);
  const inSize = input.shape.reduce((a, d) => a * d, 1);
  const scaled = (s: number) => {
    const params = new Map<string, Float64Array>();
    for (const [k, v] of abs)
      params.set(k, homog && s !== 0 && !mult.has(k) && !bnNames.has(k) ? v.map((x) => x * 2 ** -s) : v);
    return params;
  };
  const prog = await backend.compile({ graph: gg.graph, batch: 1, training: false, params: scaled(0) });
  const runAt = async (s: number, t: number) => {
    prog.setParams(scaled(s));
    const r = await prog.run({
      [input.name]: new Float32Array(inSize).fill(homog ? 2 ** -s : 1),
      [`cot:${o.name}`]: new Float32Array(outSize).fill(2 ** -t),
    });
    let sum = 0;
    for (const x of Array.from(r.outputs.get(o.name)!)) sum += x;
    return { sum, grads: new Map(weights.map((w) => [w, r.outputs.get(`grad:${w}`)!])) };
  };
  try {
    return await rescaled(backend, runAt, homog, abs);
  } finally {
    prog.dispose();
  }
}

type RunAt = (s: number, t: number) => Promise<{ sum: number; grads: LayerGrads }>;

async function rescaled(backend: ProxyBackend, runAt: RunAt, homog: boolean, abs: LayerGrads): Promise<SynflowDetail> {
  if (backend.name === 'reference') {
    // Float64 needs no rescaling for any network NAS spaces hold (R < 1e308).
    const r = await runAt(0, 0);
    return { score: synflow(r.grads, abs), log2Input: 0, log2Cotangent: 0 };
  }
  // Probe: R at input scale 2^−64 (activations only; the cotangent does not matter here).
  let probe = homog ? 64 : 0;
  let r = await runAt(probe, 0);
  for (let tries = 0; tries < 4 && homog && (!Number.isFinite(r.sum) || r.sum === 0); tries++) {
    probe = r.sum === 0 ? probe - 48 : probe + 48;
    r = await runAt(probe, 0);
  }
  const log2R = Number.isFinite(r.sum) && r.sum > 0 ? Math.log2(r.sum) + (homog ? probe : 0) : 0;
  // Activations reach about R·2^−s and cotangents R·2^−t (growth before and after a layer
  // multiply to R): put both around 2^(log2 R / 2), and weight gradients near 1.
  const half = Math.round(log2R / 2);
  const s = homog ? half : 0;
  const t = homog ? half : Math.round(log2R);
  const fin = await runAt(s, t);
  return { score: synflow(fin.grads, abs, 2 ** -(s + t)), log2Input: s, log2Cotangent: t };
}
