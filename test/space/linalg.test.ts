// The host linear algebra of the data proxies (compiler/space/data-proxies/linalg.ts), by
// properties that do not reuse its algorithms: log|det| of a product is the sum of the logs,
// of a triangular matrix the sum of the logs of its diagonal; a matrix built as Q·diag(λ)·Qᵀ
// from a random orthogonal Q has eigenvalues λ, whose sum is the trace and whose squares sum
// to the squared Frobenius norm; corrcoef is symmetric with a unit diagonal and invariant to
// shifting and (positively) scaling each row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { corrcoef, slogdet, symmetricEigenvalues } from '../../compiler/space/data-proxies/linalg.js';

const matmul = (a: Float64Array, b: Float64Array, n: number) => {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return c;
};
const transpose = (a: Float64Array, n: number) => {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]!;
  return t;
};
/** An orthogonal matrix: Gram–Schmidt on the columns of a random matrix. */
function orthogonal(vals: number[], n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Array.from({ length: n }, (_, i) => vals[i * n + j]! + (i === j ? 3 : 0));
    for (let k = 0; k < j; k++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i]! * q[i * n + k]!;
      for (let i = 0; i < n; i++) v[i]! -= d * q[i * n + k]!;
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i]! / norm;
  }
  return q;
}

const square = (n: number) =>
  fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n });

describe('slogdet', () => {
  it('log|det(AB)| = log|det A| + log|det B|, signs multiply', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }).chain((n) => fc.tuple(fc.constant(n), square(n), square(n))),
        ([n, a, b]) => {
          const A = Float64Array.from(a);
          const Bm = Float64Array.from(b);
          // well away from singular
          for (let i = 0; i < n; i++) {
            A[i * n + i]! += 5;
            Bm[i * n + i]! -= 5;
          }
          const x = slogdet(A, n);
          const y = slogdet(Bm, n);
          const z = slogdet(matmul(A, Bm, n), n);
          expect(z.sign).toBe(x.sign * y.sign);
          expect(z.logAbsDet).toBeCloseTo(x.logAbsDet + y.logAbsDet, 8);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('of a triangular matrix is its diagonal, after any row swap the sign flips', () => {
    const n = 4;
    const t = Float64Array.from([2, 0, 0, 0, 5, -3, 0, 0, 1, 2, 0.5, 0, 7, 7, 7, 4]);
    const r = slogdet(t, n);
    expect(r.sign).toBe(-1);
    expect(r.logAbsDet).toBeCloseTo(Math.log(2 * 3 * 0.5 * 4), 12);
    const swapped = Float64Array.from([...t.slice(4, 8), ...t.slice(0, 4), ...t.slice(8)]);
    expect(slogdet(swapped, n).sign).toBe(1);
    expect(slogdet(Float64Array.from([1, 2, 2, 4]), 2)).toEqual({ sign: 0, logAbsDet: -Infinity });
  });
});

describe('symmetricEigenvalues', () => {
  it('recovers λ from Q·diag(λ)·Qᵀ; trace and Frobenius norm agree', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 12 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              square(n),
              fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }),
            ),
          ),
        ([n, qv, lambda]) => {
          const q = orthogonal(qv, n);
          const d = new Float64Array(n * n);
          lambda.forEach((l, i) => (d[i * n + i] = l));
          const a = matmul(matmul(q, d, n), transpose(q, n), n);
          for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!; // exactly symmetric
          const ev = symmetricEigenvalues(a, n);
          const want = [...lambda].sort((x, y) => x - y);
          ev.forEach((e, i) => expect(e).toBeCloseTo(want[i]!, 7));
          let trace = 0;
          let frob = 0;
          for (let i = 0; i < n; i++) trace += a[i * n + i]!;
          for (const v of a) frob += v * v;
          expect(ev.reduce((s, e) => s + e, 0)).toBeCloseTo(trace, 8);
          expect(ev.reduce((s, e) => s + e * e, 0)).toBeCloseTo(frob, 6);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('corrcoef', () => {
  it('is symmetric with a unit diagonal, in [−1, 1], and invariant to shifting and scaling rows', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 6 })
          .chain((r) =>
            fc.tuple(
              fc.constant(r),
              fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: r * 9, maxLength: r * 9 }),
            ),
          ),
        ([r, xs]) => {
          const d = 9;
          const x = Float64Array.from(xs, (v, i) => v + (i % d) * 0.01 * (((i / d) | 0) + 1)); // no constant row
          const c = corrcoef(x, r, d);
          const y = x.map((v, i) => 3.5 * v - 7 + ((i / d) | 0));
          const c2 = corrcoef(y, r, d);
          for (let i = 0; i < r; i++) {
            expect(c[i * r + i]).toBeCloseTo(1, 12);
            for (let j = 0; j < r; j++) {
              expect(c[i * r + j]).toBe(c[j * r + i]);
              expect(Math.abs(c[i * r + j]!)).toBeLessThanOrEqual(1);
              expect(c2[i * r + j]).toBeCloseTo(c[i * r + j]!, 10);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a constant row has no correlation (NaN), as numpy', () => {
    const c = corrcoef(Float64Array.from([1, 1, 1, 1, 2, 3]), 2, 3);
    expect(c[0]).toBeNaN();
    expect(c[3]).toBeCloseTo(1, 12);
  });
});
