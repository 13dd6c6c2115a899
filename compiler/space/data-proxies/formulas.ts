// The data-dependent proxies' formulas, on the host, from what a backend computed (weight
// gradients, input gradients, ReLU inputs, layer outputs and their gradients). Everything here is float64 and follows the
// official code (shared research notes, methods.md §3–4), so that a WebGPU run and the
// float64 reference interpreter differ only in what the kernels computed.
import type { ValueId } from '../../ir/types.js';
import type { LayerOutput } from './layers.js';
import { corrcoef, slogdet, symmetricEigenvalues } from './linalg.js';
import type { LayerGrads, ReluInput, ValueGrad } from './needs.js';

/**
 * ZiCo (Li et al., ICLR 2023, SLDGroup/ZiCo compute_zico.py): over N batches' gradients of
 * each conv/linear weight, per element μ = mean |g| and σ = population std of the signed g;
 * per layer S = Σ μ/σ over elements with σ ≠ 0; a layer with S = 0 is skipped; ZiCo = Σ ln S.
 */
export function zico(batches: readonly LayerGrads[]): number {
  if (batches.length < 2) throw new Error(`ZiCo needs at least 2 batches of gradients, got ${batches.length}`);
  const n = batches.length;
  let score = 0;
  for (const [name, first] of batches[0]!) {
    const gs = batches.map((b) => b.get(name)!);
    let s = 0;
    for (let i = 0; i < first.length; i++) {
      let sum = 0;
      let abs = 0;
      for (const g of gs) {
        sum += g[i]!;
        abs += Math.abs(g[i]!);
      }
      const mean = sum / n;
      let v = 0;
      for (const g of gs) v += (g[i]! - mean) ** 2;
      const std = Math.sqrt(v / n);
      if (std !== 0) s += abs / n / std;
    }
    if (s !== 0) score += Math.log(s);
  }
  return score;
}

/** GradNorm (Abdelfattah et al., ICLR 2021): Σ over conv/linear weights of ‖g‖₂. */
export function gradNorm(grads: LayerGrads): number {
  let total = 0;
  for (const g of grads.values()) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
    total += Math.sqrt(s);
  }
  return total;
}

/** SNIP (Lee et al., ICLR 2019, as in zero-cost-nas): Σ |g ⊙ w| over conv/linear weights. */
export function snip(grads: LayerGrads, weights: LayerGrads): number {
  let total = 0;
  for (const [name, g] of grads) {
    const w = weights.get(name)!;
    for (let i = 0; i < g.length; i++) total += Math.abs(g[i]! * w[i]!);
  }
  return total;
}

/**
 * SynFlow (Tanaka et al., NeurIPS 2020): Σ |w ⊙ ∂R/∂w| over conv/linear weights, where the
 * network has |w| everywhere and R is the sum of its outputs on an all-ones input. `scale` is
 * the factor the backend's run multiplied every gradient by (to keep float32 in range): the
 * score divides it out in float64.
 */
export function synflow(grads: LayerGrads, absWeights: LayerGrads, scale = 1): number {
  let total = 0;
  for (const [name, g] of grads) {
    const w = absWeights.get(name)!;
    for (let i = 0; i < g.length; i++) total += Math.abs(w[i]! * g[i]!);
  }
  return total / scale;
}

/** 32-bit population count. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * NASWOT's kernel (Mellor et al., ICML 2021, "nwot" in NASLib): for the input x [B, D] of a
 * ReLU, c = (x > 0) per sample, and K += c cᵀ + (1−c)(1−c)ᵀ, i.e. K_ij += the number of units
 * where samples i and j agree. Codes are packed 32 to a word, so a pair costs D/32 popcounts.
 * `times` adds the same ReLU input several times (one value read by several ReLUs).
 */
export function addReluCodes(k: Float64Array, x: ArrayLike<number>, b: number, times = 1): void {
  const d = x.length / b;
  if (!Number.isInteger(d) || k.length !== b * b) throw new Error(`NASWOT: ${x.length} values for a batch of ${b}`);
  const words = Math.ceil(d / 32);
  const bits = new Int32Array(b * words);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < d; j++) if (x[i * d + j]! > 0) bits[i * words + (j >>> 5)]! |= 1 << (j & 31);
  for (let i = 0; i < b; i++)
    for (let j = i; j < b; j++) {
      let diff = 0;
      for (let w = 0; w < words; w++) diff += popcount(bits[i * words + w]! ^ bits[j * words + w]!);
      const agree = (d - diff) * times;
      k[i * b + j]! += agree;
      if (i !== j) k[j * b + i]! += agree;
    }
}

/** NASWOT score: log|det K| (numpy slogdet's second value). */
export function naswot(k: Float64Array, b: number): number {
  return slogdet(k, b).logAbsDet;
}

/** NASWOT from the ReLU inputs of one batch of `b` samples: K summed over the ReLUs, then log|det K|. */
export function naswotOf(relus: readonly ReluInput[], b: number): number {
  const k = new Float64Array(b * b);
  for (const r of relus) addReluCodes(k, r.values, b, r.times);
  return naswot(k, b);
}

/**
 * Fisher (Theis et al. 2018, as zero-cost-nas `fisher` computes it, Abdelfattah et al., ICLR
 * 2021): for each conv/linear output a [N, C, …] and g = ∂L/∂a (cross-entropy, one batch,
 * training mode), per sample n and channel k, g_nk = Σ over the other dims of a·g (a·g itself
 * for [N, C]); the channel's score is 0.5·mean_n g_nk². The official code then broadcasts each
 * channel's score to that channel's weights (`reshape_elements` to weight.shape[1:]) before
 * `find_measures` sums every array, so a channel counts once per weight it owns:
 * Fisher = Σ over layers of prod(weight.shape[1:]) · Σ_k 0.5·mean_n g_nk².
 */
export function fisher(layers: readonly LayerOutput[], measured: ReadonlyMap<ValueId, ValueGrad>): number {
  let total = 0;
  for (const l of layers) {
    const { shape, value: a, grad: g } = measured.get(l.value)!;
    const [n, c] = [shape[0]!, shape[1]!];
    const inner = a.length / (n * c);
    let layer = 0;
    for (let k = 0; k < c; k++) {
      let sq = 0;
      for (let s = 0; s < n; s++) {
        let gnk = 0;
        for (let i = (s * c + k) * inner, end = i + inner; i < end; i++) gnk += a[i]! * g[i]!;
        sq += gnk * gnk;
      }
      layer += (0.5 * sq) / n;
    }
    total += layer * l.weightShape.slice(1).reduce((p, d) => p * d, 1);
  }
  return total;
}

/**
 * Jacob_cov (Mellor et al. 2020, as in zero-cost-nas): J [B, D] the per-sample input
 * gradients of Σ outputs, λ the eigenvalues of corrcoef(J); score −Σ [ln(λ + k) + 1/(λ + k)],
 * k = 1e-5. A sample whose gradient is constant makes the correlation (and score) NaN, as numpy.
 */
export function jacobCov(j: ArrayLike<number>, b: number, k = 1e-5): number {
  const d = j.length / b;
  const ev = symmetricEigenvalues(corrcoef(j, b, d), b);
  let s = 0;
  for (const l of ev) s += Math.log(l + k) + 1 / (l + k);
  return -s;
}
