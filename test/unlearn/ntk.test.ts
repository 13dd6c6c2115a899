// The host algebra of Fast-NTK (compiler/unlearn/): the push-through identity between the kernel
// and primal forms, the zero update of an empty forget set, the ridge fit it reduces to for a
// linear model, and the membership-inference attack's figures on cases worked by hand.
import { describe, expect, it } from 'vitest';
import { choleskySolve, NotPositiveDefinite } from '../../compiler/unlearn/cholesky.js';
import { lossThresholdAttack } from '../../compiler/unlearn/metrics.js';
import { ntkUpdate, ridgeFit, smallerForm, type Jacobian } from '../../compiler/unlearn/ntk.js';
import { residuals } from '../../compiler/unlearn/residual.js';

/** A seeded uniform generator in [−1, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function randomJacobian(n: number, C: number, P: number, seed: number): Jacobian {
  const r = rng(seed);
  return { samples: n, classes: C, params: P, data: Float64Array.from({ length: n * C * P }, r) };
}

/** Gauss–Jordan with partial pivoting: an independent solver for the references. */
function gaussSolve(a: Float64Array, n: number, b: Float64Array): Float64Array {
  const m = Array.from({ length: n }, (_, i) => [...a.subarray(i * n, (i + 1) * n), b[i]!]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[p]![k]!)) p = i;
    [m[k], m[p]] = [m[p]!, m[k]!];
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = m[i]![k]! / m[k]![k]!;
      for (let j = k; j <= n; j++) m[i]![j]! -= f * m[k]![j]!;
    }
  }
  return Float64Array.from({ length: n }, (_, i) => m[i]![n]! / m[i]![i]!);
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('Cholesky', () => {
  it('solves an SPD system and refuses an indefinite one', () => {
    const a = Float64Array.of(4, 2, 0, 2, 5, 1, 0, 1, 3);
    const x = choleskySolve(a, 3, Float64Array.of(1, 2, 3));
    expect(maxDiff(x, gaussSolve(a, 3, Float64Array.of(1, 2, 3)))).toBeLessThan(1e-14);
    expect(() => choleskySolve(Float64Array.of(1, 2, 2, 1), 2, Float64Array.of(1, 1))).toThrow(NotPositiveDefinite);
  });
});

describe('the NTK ridge fit', () => {
  it('kernel and primal forms agree (push-through identity), in both shapes of problem', () => {
    for (const [n, C, P] of [
      [6, 3, 40],
      [20, 4, 7],
    ] as const) {
      const J = randomJacobian(n, C, P, n * 7 + P);
      const r = rng(99);
      const res = Float64Array.from({ length: n * C }, r);
      const theta = Float64Array.from({ length: P }, r);
      const subset = [0, 2, 3, 5];
      const k = ridgeFit(J, res, theta, subset, 0.05, 'kernel');
      const p = ridgeFit(J, res, theta, subset, 0.05, 'primal');
      expect(maxDiff(k, p)).toBeLessThan(1e-10);
      // And they are not trivially equal to θ*.
      expect(maxDiff(k, theta)).toBeGreaterThan(1e-3);
    }
    expect(smallerForm(6, 3, 40)).toBe('kernel');
    expect(smallerForm(20, 4, 7)).toBe('primal');
  });

  it('an empty forget set changes nothing', () => {
    const J = randomJacobian(10, 3, 12, 5);
    const r = rng(3);
    const res = Float64Array.from({ length: 30 }, r);
    const theta = Float64Array.from({ length: 12 }, r);
    const all = Array.from({ length: 10 }, (_, i) => i);
    const fit = ridgeFit(J, res, theta, all, 0.1, 'primal');
    expect(ntkUpdate(theta, fit, fit, 1)).toEqual(theta);
  });

  it('for a linear model with MSE, θ* + Δ_retain − Δ_all is the ridge fit of the retain set', () => {
    // f_c(x) = Σ_j W[c, j] x_j + b_c; θ = [W row-major, b]; the Jacobian of f_c is x in W's row c and 1 at b_c.
    const n = 24;
    const d = 5;
    const C = 3;
    const P = C * d + C;
    const r = rng(11);
    const X = Array.from({ length: n }, () => Array.from({ length: d }, r));
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % C);
    const lambda = 0.02;
    const J = new Float64Array(n * C * P);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < C; c++) {
        const row = (i * C + c) * P;
        for (let j = 0; j < d; j++) J[row + c * d + j] = X[i]![j]!;
        J[row + C * d + c] = 1;
      }
    // Ridge regression of the ±1 targets on [x, 1], one class at a time.
    const ridge = (idx: number[]) => {
      const theta = new Float64Array(P);
      for (let c = 0; c < C; c++) {
        const A = new Float64Array((d + 1) * (d + 1));
        const b = new Float64Array(d + 1);
        for (const i of idx) {
          const z = [...X[i]!, 1];
          const y = labels[i] === c ? 1 : -1;
          for (let p = 0; p <= d; p++) {
            b[p]! += z[p]! * y;
            for (let q = 0; q <= d; q++) A[p * (d + 1) + q]! += z[p]! * z[q]!;
          }
        }
        for (let p = 0; p <= d; p++) A[p * (d + 1) + p]! += idx.length * lambda;
        const w = gaussSolve(A, d + 1, b);
        for (let j = 0; j < d; j++) theta[c * d + j] = w[j]!;
        theta[C * d + c] = w[d]!;
      }
      return theta;
    };
    const all = Array.from({ length: n }, (_, i) => i);
    const retain = all.filter((i) => labels[i] !== 1);
    const thetaStar = ridge(all);
    const logits = new Float64Array(n * C);
    for (let a = 0; a < n * C; a++) for (let p = 0; p < P; p++) logits[a]! += J[a * P + p]! * thetaStar[p]!;
    const res = residuals('mse', logits, labels, C);
    const jac = { samples: n, classes: C, params: P, data: J };
    for (const form of ['kernel', 'primal'] as const) {
      const next = ntkUpdate(
        thetaStar,
        ridgeFit(jac, res, thetaStar, retain, lambda, form),
        ridgeFit(jac, res, thetaStar, all, lambda, form),
        1,
      );
      expect(maxDiff(next, ridge(retain))).toBeLessThan(1e-9);
      expect(maxDiff(thetaStar, ridge(retain))).toBeGreaterThan(1e-2);
    }
  });
});

describe('residuals and the membership-inference attack', () => {
  it('cross-entropy residuals are softmax − onehot; MSE ones f − y±', () => {
    const ce = residuals('cross_entropy', Float64Array.of(0, Math.log(3)), [1], 2);
    expect(ce[0]).toBeCloseTo(0.25, 12);
    expect(ce[1]).toBeCloseTo(-0.25, 12);
    expect(Array.from(residuals('mse', Float64Array.of(0.5, 2), [1], 2))).toEqual([1.5, 1]);
  });

  it('AUC and best accuracy of the loss threshold', () => {
    expect(lossThresholdAttack([0.1, 0.2], [0.3, 0.4])).toEqual({ auc: 1, accuracy: 1 });
    expect(lossThresholdAttack([0.3, 0.4], [0.1, 0.2]).auc).toBe(0);
    // One of four pairs misordered; the best threshold (below 0.25) catches 1 of 2 members and no non-member.
    const r = lossThresholdAttack([0.1, 0.3], [0.25, 0.4]);
    expect(r.auc).toBe(0.75);
    expect(r.accuracy).toBe(0.75);
    expect(lossThresholdAttack([0.5], [0.5]).auc).toBe(0.5);
  });
});
