// Predictive multiplicity metrics of a Rashomon set, as the official code defines them
// (utils/evaluation.py and utils/compute_metrics.py of jpmorganchase/dropout-rashomon-set-exploration):
//
// - the Rashomon set R(ε): the sampled models whose test loss is strictly below base loss + ε
//   (`get_Rashomon_models_sampling`, which compute_metrics.py uses for both dropout and
//   re-training); an empty set leaves every metric at 0, as the code's `continue` does;
// - decisions are the argmax of each model's scores (softmax outputs), compared with the base
//   model's decisions: ambiguity, the fraction of samples on which some model of R(ε) disagrees
//   with the base; discrepancy, the largest fraction of samples on which one model disagrees;
// - viable prediction range and score variance (population variance, numpy's var) per sample,
//   of each model's score of the sample's true label (`score_of_y_multi_model(scores, y_test)`);
// - Rashomon capacity per sample: the capacity of the channel whose rows are the models' score
//   vectors, by Blahut–Arimoto (log base 2, tolerance 1e-12, at most 1,000 iterations, uniform
//   start), reported as 2^RC ∈ [1, c];
// - disagreement per sample. The code computes 4μ(1 − μ) with μ the mean decision, which is the
//   probability (scaled to [0, 1]) that two models drawn from R(ε) disagree when there are two
//   classes, but not a disagreement for more classes (μ is then a mean class index, and
//   4μ(1 − μ) is negative for μ > 1). We compute the same probability for c classes,
//   c/(c − 1)·(1 − Σ_k μ_k²) with μ_k the fraction of models deciding k: equal to the code's
//   value for c = 2, and 0 when all models agree.
//
// Everything is computed in float64 on the host from float32 scores.

/** The indices of the models in R(ε): loss < baseLoss + ε (strictly, as the code). */
export function rashomonSet(losses: ArrayLike<number>, baseLoss: number, epsilon: number): number[] {
  const tol = baseLoss + epsilon;
  const out: number[] = [];
  for (let i = 0; i < losses.length; i++) if (losses[i]! < tol) out.push(i);
  return out;
}

/** Argmax per row of scores [n, c] (the first maximum, as numpy). */
export function decisions(scores: ArrayLike<number>, n: number, c: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (scores[i * c + k]! > scores[i * c + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** Each row's score of its class y[i]. */
export function scoreOf(scores: ArrayLike<number>, y: ArrayLike<number>, c: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = scores[i * c + y[i]!]!;
  return out;
}

/** The fraction of samples on which some model disagrees with `base`. */
export function ambiguity(ds: readonly ArrayLike<number>[], base: ArrayLike<number>): number {
  if (ds.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < base.length; i++) if (ds.some((d) => d[i] !== base[i])) n++;
  return n / base.length;
}

/** The largest fraction of samples on which one model disagrees with `base`. */
export function discrepancy(ds: readonly ArrayLike<number>[], base: ArrayLike<number>): number {
  let worst = 0;
  for (const d of ds) {
    let n = 0;
    for (let i = 0; i < base.length; i++) if (d[i] !== base[i]) n++;
    worst = Math.max(worst, n / base.length);
  }
  return worst;
}

/** Per sample, c/(c − 1)·(1 − Σ_k μ_k²): the chance two models of the set disagree, scaled to [0, 1]. */
export function disagreement(ds: readonly ArrayLike<number>[], n: number, c: number): Float64Array {
  const out = new Float64Array(n);
  if (ds.length === 0 || c < 2) return out;
  const counts = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    counts.fill(0);
    for (const d of ds) counts[d[i]!]!++;
    let s = 0;
    for (let k = 0; k < c; k++) {
      const mu = counts[k]! / ds.length;
      s += mu * mu;
    }
    out[i] = Math.max(0, (c / (c - 1)) * (1 - s));
  }
  return out;
}

/** Per sample, max − min over models. */
export function viablePredictionRange(ys: readonly ArrayLike<number>[], n: number): Float64Array {
  const out = new Float64Array(n);
  if (ys.length === 0) return out;
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of ys) {
      lo = Math.min(lo, y[i]!);
      hi = Math.max(hi, y[i]!);
    }
    out[i] = hi - lo;
  }
  return out;
}

/** Per sample, the population variance over models (numpy's var: the mean first, then the mean square deviation). */
export function scoreVariance(ys: readonly ArrayLike<number>[], n: number): Float64Array {
  const out = new Float64Array(n);
  if (ys.length === 0) return out;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const y of ys) s += y[i]!;
    const mean = s / ys.length;
    let v = 0;
    for (const y of ys) v += (y[i]! - mean) ** 2;
    out[i] = v / ys.length;
  }
  return out;
}

export interface BlahutArimoto {
  /** Channel capacity in units of log `logBase` (bits by default). */
  readonly capacity: number;
  /** The input distribution reached. */
  readonly r: Float64Array;
  /** Iterations run (the code's `cnt + 1`). */
  readonly iterations: number;
}

/**
 * Blahut–Arimoto on the m × c transition matrix P (rows: models' output distributions), as the
 * official `blahut_arimoto`: uniform start; each iteration q = P_w|y from the current input
 * distribution Pw (column-normalised), r_i ∝ Π_j q_ij^P_ij; stop when Σ(r − Pw)²/m < ε, else
 * Pw ← r; capacity = Σ_ij r_i·P_ij·ln(q_ij/r_i) over r_i > 0 and q_ij > 0 (q of the last
 * iteration), divided by ln(logBase). The product is taken in logarithms: ln q_ij = ln Pw_i +
 * ln P_ij − ln Σ_k Pw_k·P_kj, with terms of P_ij = 0 left out (q⁰ = 1, as numpy's power).
 */
export function blahutArimoto(
  P: ArrayLike<number>,
  m: number,
  c: number,
  opts: { readonly logBase?: number; readonly epsilon?: number; readonly maxIter?: number } = {},
): BlahutArimoto {
  const eps = opts.epsilon ?? 1e-12;
  const maxIter = opts.maxIter ?? 1000;
  // Identical rows: the code stops after one iteration at the uniform distribution with capacity
  // 0 up to rounding (±1e-16); we return the exact 0, so a set of copies has 2^RC = 1 exactly.
  let same = true;
  for (let k = c; k < m * c && same; k++) same = P[k] === P[k % c];
  if (same) return { capacity: 0, r: new Float64Array(m).fill(1 / m), iterations: 1 };
  const logP = new Float64Array(m * c);
  const rowA = new Float64Array(m); // Σ_j P_ij ln P_ij
  const rowS = new Float64Array(m); // Σ_j P_ij
  for (let i = 0; i < m; i++) {
    let a = 0;
    let s = 0;
    for (let j = 0; j < c; j++) {
      const p = P[i * c + j]!;
      logP[i * c + j] = Math.log(p);
      if (p !== 0) {
        a += p * Math.log(p);
        s += p;
      }
    }
    rowA[i] = a;
    rowS[i] = s;
  }
  let pw = new Float64Array(m).fill(1 / m);
  let r = new Float64Array(m);
  const logCol = new Float64Array(c);
  const logPw = new Float64Array(m);
  let it = 0;
  for (; it < maxIter; it++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += pw[i]! * P[i * c + j]!;
      logCol[j] = Math.log(s);
    }
    let total = 0;
    for (let i = 0; i < m; i++) {
      logPw[i] = Math.log(pw[i]!);
      let t = 0;
      for (let j = 0; j < c; j++) {
        const p = P[i * c + j]!;
        if (p !== 0) t += p * logCol[j]!;
      }
      const v = Math.exp(rowS[i]! * logPw[i]! + rowA[i]! - t);
      r[i] = v;
      total += v;
    }
    let d = 0;
    for (let i = 0; i < m; i++) {
      r[i] = r[i]! / total;
      d += (r[i]! - pw[i]!) ** 2;
    }
    // (the code sets Pw ← r after a last iteration that did not converge, but then uses only r and q)
    if (d / m < eps || it === maxIter - 1) break;
    [pw, r] = [r, pw];
  }
  const iterations = it + 1;
  // q and r of the last iteration: q from pw (its input distribution), r the new one.
  let capacity = 0;
  for (let i = 0; i < m; i++) {
    if (!(r[i]! > 0) || !(pw[i]! > 0)) continue;
    const lr = Math.log(r[i]!);
    for (let j = 0; j < c; j++) {
      const p = P[i * c + j]!;
      if (!(p > 0) || !Number.isFinite(logCol[j]!)) continue;
      capacity += r[i]! * p * (logPw[i]! + logP[i * c + j]! - logCol[j]! - lr);
    }
  }
  return { capacity: capacity / Math.log(opts.logBase ?? 2), r: Float64Array.from(r), iterations };
}

/** Rashomon capacity (bits) of each sample over the models' score matrices [n, c]. */
export function rashomonCapacity(scores: readonly ArrayLike<number>[], n: number, c: number): Float64Array {
  const out = new Float64Array(n);
  const m = scores.length;
  if (m === 0) return out;
  const P = new Float64Array(m * c);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) for (let j = 0; j < c; j++) P[k * c + j] = scores[k]![i * c + j]!;
    out[i] = blahutArimoto(P, m, c).capacity;
  }
  return out;
}

/** Mean and quantiles of a per-sample metric (numpy's default linear interpolation). */
export interface Distribution {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function distribution(v: ArrayLike<number>): Distribution {
  const s = Float64Array.from(v).sort();
  const n = s.length;
  if (n === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const q = (p: number) => {
    const x = p * (n - 1);
    const lo = Math.floor(x);
    const hi = Math.min(lo + 1, n - 1);
    return s[lo]! + (x - lo) * (s[hi]! - s[lo]!);
  };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i]!;
  return { mean: sum / n, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[n - 1]! };
}

/** One sampled (or retrained) model, as the metrics need it. */
export interface ModelScores {
  readonly loss: number;
  /** Softmax scores [n, c]; may be absent for a model whose loss keeps it out of every set. */
  readonly scores?: ArrayLike<number>;
}

export interface MultiplicityInput {
  readonly base: { readonly loss: number; readonly scores: ArrayLike<number> };
  /** True labels [n] (the scores of these classes give VPR and score variance). */
  readonly labels: ArrayLike<number>;
  readonly classes: number;
  readonly models: readonly ModelScores[];
  readonly epsilons: readonly number[];
  /** Compute Rashomon capacity on the first this many samples only (default all). */
  readonly capacitySamples?: number;
}

export interface EpsilonMetrics {
  readonly epsilon: number;
  /** |R(ε)|. */
  readonly models: number;
  readonly ambiguity: number;
  readonly discrepancy: number;
  readonly disagreement: Distribution;
  readonly vpr: Distribution;
  readonly scoreVariance: Distribution;
  /** 2^RC per sample. */
  readonly capacity: Distribution;
}

/** Every metric at every ε (sets that equal the previous ε's are not recomputed). */
export function multiplicity(inp: MultiplicityInput, onEpsilon?: (done: number) => void): EpsilonMetrics[] {
  const c = inp.classes;
  const n = inp.labels.length;
  const base = decisions(inp.base.scores, n, c);
  const losses = inp.models.map((m) => m.loss);
  const dec = new Map<number, Int32Array>();
  const ys = new Map<number, Float64Array>();
  const need = (k: number) => {
    const s = inp.models[k]!.scores;
    if (!s) throw new Error(`multiplicity: model ${k} is in a Rashomon set but its scores were not kept`);
    if (!dec.has(k)) {
      dec.set(k, decisions(s, n, c));
      ys.set(k, scoreOf(s, inp.labels, c));
    }
    return s;
  };
  const nc = Math.min(inp.capacitySamples ?? n, n);
  const out: EpsilonMetrics[] = [];
  let prev: { key: string; row: Omit<EpsilonMetrics, 'epsilon'> } | undefined;
  inp.epsilons.forEach((eps, e) => {
    const set = rashomonSet(losses, inp.base.loss, eps);
    const key = set.join(',');
    if (prev && prev.key === key) {
      out.push({ epsilon: eps, ...prev.row });
      onEpsilon?.(e + 1);
      return;
    }
    const scores = set.map(need);
    const d = set.map((k) => dec.get(k)!);
    const y = set.map((k) => ys.get(k)!);
    const rc = rashomonCapacity(
      scores.map((s) => (nc === n ? s : (Array.prototype.slice.call(s, 0, nc * c) as number[]))),
      nc,
      c,
    );
    const row = {
      models: set.length,
      ambiguity: ambiguity(d, base),
      discrepancy: discrepancy(d, base),
      disagreement: distribution(disagreement(d, n, c)),
      vpr: distribution(viablePredictionRange(y, n)),
      scoreVariance: distribution(scoreVariance(y, n)),
      capacity: distribution(rc.map((b) => 2 ** b)),
    };
    prev = { key, row };
    out.push({ epsilon: eps, ...row });
    onEpsilon?.(e + 1);
  });
  return out;
}

/** What the metrics keep of one model's logits: softmax scores, mean cross-entropy, accuracy. */
export interface Evaluated {
  /** softmax(logits) [n, c], as float32 (the official code's F.softmax output). */
  readonly scores: Float32Array;
  /** Mean cross-entropy over the samples (torch's CrossEntropyLoss), in float64. */
  readonly loss: number;
  readonly accuracy: number;
}

/** Softmax scores, mean cross-entropy and top-1 accuracy of logits [n, c] against labels [n]. */
export function evaluateLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, c: number): Evaluated {
  const n = labels.length;
  const scores = new Float32Array(n * c);
  let loss = 0;
  let right = 0;
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    let best = 0;
    for (let k = 0; k < c; k++) {
      const v = logits[i * c + k]!;
      if (v > mx) {
        mx = v;
        best = k;
      }
    }
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(logits[i * c + k]! - mx);
    for (let k = 0; k < c; k++) scores[i * c + k] = Math.exp(logits[i * c + k]! - mx) / s;
    loss += mx + Math.log(s) - logits[i * c + labels[i]!]!;
    if (best === labels[i]) right++;
  }
  return { scores, loss: loss / n, accuracy: right / n };
}
