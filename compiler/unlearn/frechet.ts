// The Fréchet distance between two sets of feature vectors, each fitted by a Gaussian (FID's
// formula, Heusel et al. 2017): ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2·tr (Σ₁^½ Σ₂ Σ₁^½)^½, in float64
// with symmetric eigendecompositions (cyclic Jacobi), which stay exact for the semi-definite
// covariances of fewer samples than dimensions where a general matrix square root does not.

/** Mean and covariance (divided by n − 1, as numpy.cov) of n vectors of d values, row-major. */
export function gaussianFit(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a]! - mean[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += da * (x[i * d + b]! - mean[b]!);
    }
  const div = Math.max(1, n - 1);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= div;
      cov[b * d + a] = cov[a * d + b]!;
    }
  return { mean, cov };
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric d×d matrix. */
export function symmetricEigen(m: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++)
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i]!), vectors: v };
}

/** The square root of a symmetric positive semi-definite matrix (negative rounding clipped to 0). */
function sqrtPsd(m: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors: v } = symmetricEigen(m, d);
  const r = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]!));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) r[i * d + j]! += s * v[i * d + k]! * v[j * d + k]!;
  }
  return r;
}

function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) c[i * d + j]! += aik * b[k * d + j]!;
    }
  return c;
}

/** The Fréchet distance between Gaussian fits of the feature sets x (n×d) and y (m×d). */
export function frechetDistance(x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, d: number): number {
  const a = gaussianFit(x, n, d);
  const b = gaussianFit(y, m, d);
  let dist = 0;
  for (let j = 0; j < d; j++) dist += (a.mean[j]! - b.mean[j]!) ** 2;
  for (let j = 0; j < d; j++) dist += a.cov[j * d + j]! + b.cov[j * d + j]!;
  const s = sqrtPsd(a.cov, d);
  const inner = matmul(matmul(s, b.cov, d), s, d);
  // Symmetrise against rounding before the eigendecomposition.
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j]! + inner[j * d + i]!) / 2;
  const { values } = symmetricEigen(inner, d);
  for (const l of values) dist -= 2 * Math.sqrt(Math.max(0, l));
  return Math.max(0, dist);
}
