// The host side of the data-dependent proxies: small dense linear algebra on B×B matrices
// (B = the batch, 1…1024), in float64. NASWOT needs log|det K| of its kernel matrix and
// Jacob_cov the eigenvalues of a correlation matrix; both matrices are symmetric. Matrices
// are row-major Float64Arrays of n·n values.

/** sign and log|det A| by LU with partial pivoting (numpy.linalg.slogdet). A singular matrix gives sign 0, log −∞. */
export function slogdet(a: ArrayLike<number>, n: number): { sign: -1 | 0 | 1; logAbsDet: number } {
  if (a.length !== n * n) throw new Error(`slogdet: ${a.length} values for a ${n}×${n} matrix`);
  const m = Float64Array.from(a);
  let sign: -1 | 1 = 1;
  let log = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(m[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(m[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0 || !Number.isFinite(best)) return { sign: 0, logAbsDet: best === 0 ? -Infinity : NaN };
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = m[k * n + j]!;
        m[k * n + j] = m[p * n + j]!;
        m[p * n + j] = t;
      }
      sign = sign === 1 ? -1 : 1;
    }
    const piv = m[k * n + k]!;
    if (piv < 0) sign = sign === 1 ? -1 : 1;
    log += Math.log(Math.abs(piv));
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / piv;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) m[i * n + j]! -= f * m[k * n + j]!;
    }
  }
  return { sign, logAbsDet: log };
}

/**
 * Eigenvalues of a symmetric matrix, ascending, by the cyclic Jacobi method: slow for large n
 * (O(n³) per sweep, ~10 sweeps) but simple and accurate to a few ulps of the matrix's norm,
 * which is what B ≤ a few hundred needs. Only the lower triangle's symmetry is assumed, not checked.
 */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`symmetricEigenvalues: ${a.length} values for a ${n}×${n} matrix`);
  const m = Float64Array.from(a);
  if (m.some((v) => !Number.isFinite(v))) return new Float64Array(n).fill(NaN);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j]! ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // The rotation that zeroes (p, q): t = tan θ, the smaller root (Golub & Van Loan 8.4).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = m[i * n + i]!;
  return ev.sort();
}

/**
 * numpy.corrcoef of the rows of an r×d matrix (each row a variable, each column an
 * observation): the r×r Pearson correlations. A constant row has no correlation: NaN, as numpy.
 */
export function corrcoef(x: ArrayLike<number>, r: number, d: number): Float64Array {
  if (x.length !== r * d) throw new Error(`corrcoef: ${x.length} values for ${r}×${d}`);
  const centred = new Float64Array(r * d);
  const norm = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]!;
    const mean = s / d;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]! - mean;
      centred[i * d + j] = v;
      ss += v * v;
    }
    norm[i] = Math.sqrt(ss);
  }
  const out = new Float64Array(r * r);
  for (let i = 0; i < r; i++)
    for (let k = i; k < r; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += centred[i * d + j]! * centred[k * d + j]!;
      // numpy clips to [−1, 1] after dividing by the norms.
      const c = Math.max(-1, Math.min(1, s / (norm[i]! * norm[k]!)));
      out[i * r + k] = out[k * r + i] = c;
    }
  return out;
}
