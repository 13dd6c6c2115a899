// Walsh–Hadamard bases for the low-rank backward rewrites (LBP-WHT, gradient filtering), shared
// by the reference evaluation of the patch ops and their WGSL lowering.
//
// The 1-D Walsh functions of order n (a power of two) in sequency order: row k of the Sylvester
// Hadamard matrix H_n reordered so that it has exactly k sign changes. Sequency row k is
// natural-order row `natural(k)` = bit-reverse(gray(k)), and a natural row a has the sign
// (−1)^popcount(a & i) at position i, so a kernel can evaluate any entry with bit arithmetic.
// The 2-D basis (r, c) is the outer product h_r h_cᵀ; the n² of them are orthogonal with
// ⟨M_a, M_b⟩ = n²·δ_ab, so keeping all of them loses nothing (Parseval), and keeping only
// (0, 0), the all-ones patch, is a plain patch sum or mean.

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** log2 of a power of two. */
export function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/** The natural (Sylvester) row index of sequency row k, for order n. */
export function naturalRow(k: number, n: number): number {
  const bits = log2(n);
  const gray = k ^ (k >> 1);
  let r = 0;
  for (let b = 0; b < bits; b++) if (gray & (1 << b)) r |= 1 << (bits - 1 - b);
  return r;
}

function popcount(v: number): number {
  let c = 0;
  for (let x = v; x; x &= x - 1) c++;
  return c;
}

/** Entry i of the sequency-ordered Walsh function k of order n: ±1. For n = 1, 1. */
export function walsh(k: number, i: number, n: number): number {
  return popcount(naturalRow(k, n) & i) % 2 === 0 ? 1 : -1;
}

/** The sequency-ordered Walsh matrix of order n, rows = functions. */
export function walshMatrix(n: number): number[][] {
  return Array.from({ length: n }, (_, k) => Array.from({ length: n }, (_, i) => walsh(k, i, n)));
}

/** A kept 2-D basis: row and column sequency indices. */
export type Basis2 = readonly [number, number];

/**
 * LBP-WHT's low-pass "LP_L1-o" set: every (r, c) with r + c < o, r, c < min(n, 8) as the
 * official code bounds them, row by row. |K| = o(o+1)/2 for o ≤ 8, all n² for large o.
 */
export function lowPassL1(order: number, n: number): Basis2[] {
  const lim = Math.min(n, 8);
  const out: Basis2[] = [];
  for (let r = 0; r < Math.min(lim, order); r++) for (let c = 0; c < Math.min(lim, order - r); c++) out.push([r, c]);
  return out;
}

/** Every basis of order n (n² of them), row by row. */
export function fullBasis(n: number): Basis2[] {
  const out: Basis2[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out.push([r, c]);
  return out;
}

/** Bases as an `ints` attribute (flattened pairs) and back. */
export const flattenBasis = (bs: readonly Basis2[]): number[] => bs.flatMap(([r, c]) => [r, c]);
export function unflattenBasis(v: readonly number[]): Basis2[] {
  const out: Basis2[] = [];
  for (let i = 0; i + 1 < v.length; i += 2) out.push([v[i]!, v[i + 1]!]);
  return out;
}

/** Reflect padding's source index (PyTorch `reflect`: index H maps to H − 2); needs i < 2H − 1. */
export function reflectIndex(i: number, size: number): number {
  return i < size ? i : 2 * (size - 1) - i;
}
