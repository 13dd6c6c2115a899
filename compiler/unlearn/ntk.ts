// The Fast-NTK update on the host, in float64 (Li, Hsu, Chen, Marculescu; the kernel-ridge
// algebra of Golatkar et al.'s NTK forgetting). The network is linearised around its trained
// weights θ* in a parameter subset θ: f_lin(x) = f(x; θ*) + J(x)(θ − θ*). For a sample set S the
// linearised model's regularised fit is
//
//   θ_S = argmin_θ Σ_{i∈S} ‖J_i (θ − θ*) + r_i‖² + |S|·λ·‖θ‖²
//
// (r_i the loss's residual at θ*: softmax − onehot for cross-entropy, f − y± for MSE). The
// penalty is on θ itself, as weight decay is, so that for a linear model with MSE trained by
// ridge regression θ_D = θ* and θ_{D_r} is exactly the ridge fit of the retain set; any
// systematic error of the linearisation cancels in the difference θ_{D_r} − θ_D that the
// update applies: θ ← θ* + s·(θ_{D_r} − θ_D).
//
// Two equal forms (push-through identity), the smaller one solved by Cholesky:
//   primal (P×P):      (J_Sᵀ J_S + μ I) θ = J_Sᵀ z,       μ = |S|λ, z_i = J_i θ* − r_i
//   kernel (N×N):      θ = J_Sᵀ (J_S J_Sᵀ + μ I)⁻¹ z,     N = |S|·C
import { choleskySolve } from './cholesky.js';

/** Per-sample, per-logit Jacobians: row i·C + c is ∂f_c(x_i)/∂θ, P values; `rows` = n·C. */
export interface Jacobian {
  readonly samples: number;
  readonly classes: number;
  readonly params: number;
  /** Row-major [samples·classes, params]. */
  readonly data: Float64Array;
}

export type SolveForm = 'kernel' | 'primal';
export const SOLVE_FORMS: readonly SolveForm[] = ['kernel', 'primal'];

/** The form with the smaller system: the kernel's (|S|·C)² or the primal's P². */
export function smallerForm(samples: number, classes: number, params: number): SolveForm {
  return samples * classes <= params ? 'kernel' : 'primal';
}

/**
 * θ_S for the samples `subset` (indices into the Jacobian's samples). `residual` has
 * samples·classes values laid out like the Jacobian's rows; `theta` is θ* (P values).
 */
export function ridgeFit(
  jac: Jacobian,
  residual: Float64Array,
  theta: Float64Array,
  subset: ArrayLike<number>,
  lambda: number,
  form: SolveForm,
): Float64Array {
  const { classes: C, params: P, data: J } = jac;
  if (residual.length !== jac.samples * C)
    throw new Error(`ridgeFit: ${residual.length} residuals for ${jac.samples}×${C}`);
  if (theta.length !== P) throw new Error(`ridgeFit: θ has ${theta.length} values for ${P} parameters`);
  const rows: number[] = [];
  for (let k = 0; k < subset.length; k++) for (let c = 0; c < C; c++) rows.push(subset[k]! * C + c);
  const N = rows.length;
  const mu = subset.length * lambda;
  // z_i = J_i θ* − r_i: the linearised model's target.
  const z = new Float64Array(N);
  rows.forEach((row, a) => {
    let s = 0;
    const o = row * P;
    for (let p = 0; p < P; p++) s += J[o + p]! * theta[p]!;
    z[a] = s - residual[row]!;
  });
  if (N === 0) return new Float64Array(P);
  if (form === 'primal') {
    const A = new Float64Array(P * P);
    const b = new Float64Array(P);
    for (let a = 0; a < N; a++) {
      const o = rows[a]! * P;
      const za = z[a]!;
      for (let p = 0; p < P; p++) {
        const jp = J[o + p]!;
        if (jp === 0) continue;
        b[p]! += jp * za;
        const rowA = p * P;
        for (let q = 0; q <= p; q++) A[rowA + q]! += jp * J[o + q]!;
      }
    }
    for (let p = 0; p < P; p++) {
      A[p * P + p]! += mu;
      for (let q = 0; q < p; q++) A[q * P + p] = A[p * P + q]!;
    }
    return choleskySolve(A, P, b);
  }
  const K = new Float64Array(N * N);
  for (let a = 0; a < N; a++) {
    const oa = rows[a]! * P;
    for (let c = 0; c <= a; c++) {
      const oc = rows[c]! * P;
      let s = 0;
      for (let p = 0; p < P; p++) s += J[oa + p]! * J[oc + p]!;
      K[a * N + c] = s;
      K[c * N + a] = s;
    }
    K[a * N + a]! += mu;
  }
  const alpha = choleskySolve(K, N, z);
  const out = new Float64Array(P);
  for (let a = 0; a < N; a++) {
    const o = rows[a]! * P;
    const w = alpha[a]!;
    for (let p = 0; p < P; p++) out[p]! += J[o + p]! * w;
  }
  return out;
}

/** θ* + s·(θ_retain − θ_all): the unlearned subset. */
export function ntkUpdate(
  theta: Float64Array,
  retainFit: Float64Array,
  allFit: Float64Array,
  scale: number,
): Float64Array {
  return theta.map((t, p) => t + scale * (retainFit[p]! - allFit[p]!));
}
