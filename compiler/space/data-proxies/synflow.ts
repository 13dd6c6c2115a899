// SynFlow's run of its own (zero-cost-nas `synflow`, `bn=False`): |parameters|, batchnorm
// removed, an all-ones input of batch 1, rescaled by powers of two so that float32 holds what the
// official code computes in float64. Written against the backend interface (./program.ts), so
// the registry declares it as SynFlow's custom run.
import { buildGradient } from '../../autodiff/grad.js';
import type { Graph } from '../../ir/types.js';
import { synflow } from './formulas.js';
import { batchnorms, homogeneous, imageInput, layerWeights, multiplicative } from './layers.js';
import type { CustomRun, LayerGrads } from './needs.js';
import type { ProxyBackend } from './program.js';

export interface SynflowDetail {
  readonly score: number;
  /** log2 of the input and cotangent scales used (0, 0: no rescaling). */
  readonly log2Input: number;
  readonly log2Cotangent: number;
}

function sizeOf(g: Graph, v: number, batch: number): number {
  return g.values[v]!.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : batch), 1);
}

/** SynFlow's value, as the registry's custom run. */
export const synflowRun: CustomRun = async (c) => (await synflowOf(c.graph, c.backend, c.params)).score;

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
