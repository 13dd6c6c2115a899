// Solving a symmetric positive definite system in float64 by Cholesky factorisation, the
// regularised kernel or Gram matrix of the NTK update (./ntk.ts). Row-major n·n values.

/** Thrown when the matrix is not positive definite (a λ of 0 with a rank-deficient Jacobian). */
export class NotPositiveDefinite extends Error {}

/** x with A x = b; A is read, not modified. */
export function choleskySolve(a: ArrayLike<number>, n: number, b: ArrayLike<number>): Float64Array {
  if (a.length !== n * n || b.length !== n)
    throw new Error(`choleskySolve: ${a.length} and ${b.length} values for n = ${n}`);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= L[ri + k]! * L[rj + k]!;
      if (i === j) {
        if (!(s > 0)) throw new NotPositiveDefinite(`the system is not positive definite (pivot ${s} at ${i})`);
        L[ri + i] = Math.sqrt(s);
      } else L[ri + j] = s / L[rj + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}
