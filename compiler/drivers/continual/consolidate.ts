// Consolidation at a plateau, the host's arithmetic: the separate form runs here (ΣA and ΣB kept
// on the host, the adapted layers' tensors read back and written again); the clean form runs on
// the device (device-graphs.ts) and this is its test oracle.
//   clean     W ← W + s·B·A: the effective weight takes the adapter's update exactly, so the
//             model's predictions do not change (the method's "freeze and merge").
//   separate  the official code's form: A_old += A, B_old += B, so the effective weight is
//             W₀ + s·(ΣB)(ΣA), cross terms included (predictions change at the merge).
// Then fresh adapters: A drawn again from its initialiser (a new stream per plateau), B = 0, so
// the output is unchanged by the reset; their optimizer state starts again from zeros.
import type { LoraAdapter } from '../../rewrites/index.js';
import { initValues } from '../../../runtime/random/init.js';
import type { Init } from '../../ir/types.js';
import type { MergeForm } from '../../train/continual.js';

type Tensors = Map<string, Float32Array>;

/** W + s·B·A for W [out, in…], A [r, in…], B [out, r(, 1, 1)]. */
export function addLowRank(W: Float32Array, A: Float32Array, B: Float32Array, rank: number, s: number): Float32Array {
  const dout = B.length / rank;
  const din = W.length / dout;
  const out = Float32Array.from(W);
  for (let o = 0; o < dout; o++)
    for (let k = 0; k < rank; k++) {
      const b = s * B[o * rank + k]!;
      if (b === 0) continue;
      for (let i = 0; i < din; i++) out[o * din + i]! += b * A[k * din + i]!;
    }
  return out;
}

/** Host-side accumulators of the separate form: the base weights and ΣA, ΣB per layer. */
export interface SeparateState {
  readonly base: Tensors;
  readonly aSum: Tensors;
  readonly bSum: Tensors;
}

/**
 * The tensors to write back after a merge: each adapted weight, merged in `form`. `cur` holds
 * the current weights and adapters of every adapted layer.
 */
export function mergedWeights(
  adapters: readonly LoraAdapter[],
  cur: ReadonlyMap<string, Float32Array>,
  form: MergeForm,
  sep: SeparateState,
): Tensors {
  const out: Tensors = new Map();
  for (const ad of adapters) {
    const A = cur.get(ad.a)!;
    const B = cur.get(ad.b)!;
    if (form === 'clean') {
      out.set(ad.weight, addLowRank(cur.get(ad.weight)!, A, B, ad.rank, ad.scale));
      continue;
    }
    if (!sep.base.has(ad.weight)) sep.base.set(ad.weight, Float32Array.from(cur.get(ad.weight)!));
    const aSum = sep.aSum.get(ad.a) ?? new Float32Array(A.length);
    const bSum = sep.bSum.get(ad.b) ?? new Float32Array(B.length);
    for (let i = 0; i < A.length; i++) aSum[i]! += A[i]!;
    for (let i = 0; i < B.length; i++) bSum[i]! += B[i]!;
    sep.aSum.set(ad.a, aSum);
    sep.bSum.set(ad.b, bSum);
    out.set(ad.weight, addLowRank(sep.base.get(ad.weight)!, aSum, bSum, ad.rank, ad.scale));
  }
  return out;
}

/** Fresh adapters: A from its initialiser on stream (seed, `<name>#<round>`), B zero. */
export function freshAdapters(
  adapters: readonly LoraAdapter[],
  shapes: ReadonlyMap<string, { readonly shape: readonly number[]; readonly init: Init }>,
  seed: number,
  round: number,
): Tensors {
  const out: Tensors = new Map();
  for (const ad of adapters) {
    const a = shapes.get(ad.a)!;
    out.set(ad.a, initValues(a.init, a.shape, seed, `${ad.a}#${round}`, 'f32') as Float32Array);
    out.set(ad.b, new Float32Array(shapes.get(ad.b)!.shape.reduce((x, d) => x * d, 1)));
  }
  return out;
}
