// FLASH's predictors: a low-order regression, fitted by least squares on a few measured
// candidates, from static features read off the graph (NN-Degree, parameters, …) to a costly
// value (true accuracy; a hardware cost). The features are standardised (z-scores over the
// fitting set) and expanded by a basis: `linear` [1, z₁, …, z_k] or `quadratic` (plus every
// product z_i·z_j, i ≤ j). The fit is the closed-form least-squares solution, computed by
// Householder QR on the (optionally ridge-augmented) design matrix: stable where the normal
// equations lose digits, and exact on data the basis can represent.

export type Basis = 'linear' | 'quadratic';
export const BASES: readonly Basis[] = ['linear', 'quadratic'];

export interface Fit {
  readonly features: readonly string[];
  readonly basis: Basis;
  /** Per feature: the mean and standard deviation it is standardised with (std 1 when constant). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Coefficients of the basis terms, the intercept first. */
  readonly coef: readonly number[];
  /** Samples fitted, and the root-mean-square residual on them. */
  readonly n: number;
  readonly rmse: number;
}

/** The basis terms of standardised features z. */
export function expand(z: readonly number[], basis: Basis): number[] {
  const out = [1, ...z];
  if (basis === 'quadratic')
    for (let i = 0; i < z.length; i++) for (let j = i; j < z.length; j++) out.push(z[i]! * z[j]!);
  return out;
}

/**
 * argmin_w ‖A·w − b‖² + ridge·‖w₁…‖² (the intercept, column 0, is not penalised), by
 * Householder QR. A column that is a combination of earlier ones gets coefficient 0.
 */
export function leastSquares(a: readonly (readonly number[])[], b: readonly number[], ridge = 0): number[] {
  const n = a[0]?.length ?? 0;
  const rows = a.map((r) => [...r]);
  const y = [...b];
  if (ridge > 0)
    for (let j = 1; j < n; j++) {
      const r = new Array<number>(n).fill(0);
      r[j] = Math.sqrt(ridge);
      rows.push(r);
      y.push(0);
    }
  const m = rows.length;
  let maxDiag = 0;
  for (let k = 0; k < Math.min(n, m); k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += rows[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = rows[k]![k]! > 0 ? -norm : norm;
    const v = new Array<number>(m).fill(0);
    for (let i = k; i < m; i++) v[i] = rows[i]![k]!;
    v[k]! -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i]! ** 2;
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i]! * rows[i]![j]!;
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) rows[i]![j]! -= f * v[i]!;
    }
    let s = 0;
    for (let i = k; i < m; i++) s += v[i]! * y[i]!;
    for (let i = k; i < m; i++) y[i]! -= ((2 * s) / vv) * v[i]!;
    maxDiag = Math.max(maxDiag, Math.abs(rows[k]![k]!));
  }
  const w = new Array<number>(n).fill(0);
  for (let k = Math.min(n, m) - 1; k >= 0; k--) {
    const d = rows[k]![k]!;
    if (Math.abs(d) <= 1e-10 * maxDiag) continue;
    let s = y[k]!;
    for (let j = k + 1; j < n; j++) s -= rows[k]![j]! * w[j]!;
    w[k] = s / d;
  }
  return w;
}

/** Per feature, the mean and standard deviation over the samples (std 1 when constant). */
function standardisation(
  samples: readonly { readonly x: readonly number[] }[],
  k: number,
): { mean: number[]; std: number[] } {
  const n = samples.length;
  const mean = new Array<number>(k).fill(0);
  const std = new Array<number>(k).fill(0);
  for (const s of samples) for (let j = 0; j < k; j++) mean[j]! += s.x[j]! / n;
  for (const s of samples) for (let j = 0; j < k; j++) std[j]! += (s.x[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < k; j++) std[j] = std[j]! > 0 ? Math.sqrt(std[j]!) : 1;
  return { mean, std };
}

/** Fits `y ≈ basis(standardised x)·coef` on samples of the named features. */
export function fitPredictor(
  samples: readonly { readonly x: readonly number[]; readonly y: number }[],
  features: readonly string[],
  basis: Basis,
  ridge = 0,
): Fit {
  const n = samples.length;
  const { mean, std } = standardisation(samples, features.length);
  const design = samples.map((s) =>
    expand(
      s.x.map((v, j) => (v - mean[j]!) / std[j]!),
      basis,
    ),
  );
  const coef = leastSquares(
    design,
    samples.map((s) => s.y),
    ridge,
  );
  let sse = 0;
  design.forEach((row, i) => (sse += (dot(row, coef) - samples[i]!.y) ** 2));
  return { features: [...features], basis, mean, std, coef, n, rmse: Math.sqrt(sse / Math.max(1, n)) };
}

/**
 * A hardware cost model: `y ≈ c₀ + Σ c_j·x_j` with every c ≥ 0, by non-negative least squares
 * on the raw features. A latency or a memory grows with the work and the traffic and is never
 * negative; an unconstrained fit on ten noisy measurements can give a feature a negative slope
 * and predict negative latencies for small candidates (it did, on FLASH's space). With few
 * features the exact solution is found by trying every support: the NNLS optimum is the
 * unconstrained least-squares fit on its own support, so the best fit with non-negative
 * coefficients over all supports is it. Returned as a linear `Fit` on standardised features, so
 * `predict` and `formatFit` take it as they take the accuracy predictor.
 */
export function fitCostModel(
  samples: readonly { readonly x: readonly number[]; readonly y: number }[],
  features: readonly string[],
): Fit {
  const k = features.length;
  if (k > 8) throw new Error(`a cost model of ${k} features: at most 8 (every support is tried)`);
  const { mean, std } = standardisation(samples, k);
  // Columns [1, x₁/σ₁, …]: uncentred (the intercept is the cost at no work), scaled for QR.
  const design = samples.map((s) => [1, ...s.x.map((v, j) => v / std[j]!)]);
  const y = samples.map((s) => s.y);
  let best: { w: number[]; sse: number } = { w: new Array<number>(k + 1).fill(0), sse: dot(y, y) };
  for (let mask = 1; mask < 1 << (k + 1); mask++) {
    const cols = Array.from({ length: k + 1 }, (_, j) => j).filter((j) => mask & (1 << j));
    const sub = leastSquares(
      design.map((r) => cols.map((j) => r[j]!)),
      y,
    );
    if (sub.some((c) => c < 0)) continue;
    const w = new Array<number>(k + 1).fill(0);
    cols.forEach((j, i) => (w[j] = sub[i]!));
    let sse = 0;
    design.forEach((r, i) => (sse += (dot(r, w) - y[i]!) ** 2));
    if (sse < best.sse - 1e-12 * Math.max(1, best.sse)) best = { w, sse };
  }
  // Standardised form: z_j = (x_j − μ_j)/σ_j, so c_j·x_j = w_j·z_j + w_j·μ_j/σ_j.
  const w = best.w;
  const coef = [w[0]! + w.slice(1).reduce((s, c, j) => s + (c * mean[j]!) / std[j]!, 0), ...w.slice(1)];
  const n = samples.length;
  return { features: [...features], basis: 'linear', mean, std, coef, n, rmse: Math.sqrt(best.sse / Math.max(1, n)) };
}

export function predict(fit: Fit, x: readonly number[]): number {
  return dot(
    expand(
      x.map((v, j) => (v - fit.mean[j]!) / fit.std[j]!),
      fit.basis,
    ),
    fit.coef,
  );
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The fitted formula in words, in the features' own units: `acc = 91.2 + 1.3·z(nn_degree) …`. */
export function formatFit(fit: Fit, target: string): string {
  const names = expandNames(fit.features, fit.basis);
  const terms = fit.coef.map((c, i) =>
    i === 0 ? c.toPrecision(5) : `${c >= 0 ? '+ ' : '− '}${Math.abs(c).toPrecision(4)}·${names[i]}`,
  );
  return `${target} ≈ ${terms.join(' ')} (z = standardised over the ${fit.n} samples; rmse ${fit.rmse.toPrecision(3)})`;
}

function expandNames(features: readonly string[], basis: Basis): string[] {
  const z = features.map((f) => `z(${f})`);
  const out = ['1', ...z];
  if (basis === 'quadratic')
    for (let i = 0; i < z.length; i++)
      for (let j = i; j < z.length; j++) out.push(i === j ? `${z[i]}²` : `${z[i]}·${z[j]}`);
  return out;
}
