// The Walsh–Hadamard bases LBP-WHT and gradient filtering use: sequency order (row k has k sign
// changes), orthogonality of the 2-D bases, the LP_L1-o set sizes of the official code.
import { describe, expect, it } from 'vitest';
import { fullBasis, lowPassL1, walsh, walshMatrix } from '../../compiler/reference/walsh.js';

describe('Walsh–Hadamard bases', () => {
  it('row k of the sequency-ordered matrix has exactly k sign changes', () => {
    for (const n of [1, 2, 4, 8, 16]) {
      const m = walshMatrix(n);
      m.forEach((row, k) => expect(row.slice(1).filter((v, i) => v !== row[i]).length, `n=${n} k=${k}`).toBe(k));
    }
  });
  it('the 2-D bases are orthogonal with ⟨M_a, M_b⟩ = n²·δ_ab', () => {
    for (const n of [2, 4, 8]) {
      const bs = fullBasis(n);
      for (const [r1, c1] of bs)
        for (const [r2, c2] of bs) {
          let s = 0;
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) s += walsh(r1, i, n) * walsh(c1, j, n) * walsh(r2, i, n) * walsh(c2, j, n);
          expect(s).toBe(r1 === r2 && c1 === c2 ? n * n : 0);
        }
    }
  });
  it('LP_L1-o keeps o(o+1)/2 bases up to o = 8 and all 64 from o = 15 (8×8 patches)', () => {
    expect([2, 4, 6, 8].map((o) => lowPassL1(o, 8).length)).toEqual([3, 10, 21, 36]);
    expect(lowPassL1(15, 8)).toHaveLength(64);
    expect(lowPassL1(1, 8)).toEqual([[0, 0]]);
    for (const [r, c] of lowPassL1(6, 8)) expect(r + c).toBeLessThan(6);
  });
});
