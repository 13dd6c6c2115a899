// The hard buffer of Online-LoRA: the `size` samples with the highest loss among the current
// batch and the previous buffer, replayed with every batch. Entries are single samples (the
// official Si-Blurry trainer keeps whole mini-batches, one scalar loss each; samples are the
// granularity the method describes).

export interface HardEntry {
  /** One sample's input values. */
  readonly x: Float32Array;
  readonly y: number;
  /** Its loss when it was last scored. */
  readonly loss: number;
}

/**
 * The new buffer: the `size` highest-loss entries of the candidates (ties keep the earlier
 * candidate, so the choice is deterministic).
 */
export function selectHard(candidates: readonly HardEntry[], size: number): HardEntry[] {
  return candidates
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.loss - a.e.loss || a.i - b.i)
    .slice(0, size)
    .map((c) => c.e);
}

/** Per-sample cross-entropy of logits [n, classes] against labels (stable log-sum-exp). */
export function sampleLosses(logits: Float32Array, labels: ArrayLike<number>, classes: number): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[i * classes + c]! - max);
    out[i] = max + Math.log(s) - logits[i * classes + labels[i]!]!;
  }
  return out;
}

/** The arg-max class of each row of logits [n, classes]. */
export function predictions(logits: Float32Array, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}
