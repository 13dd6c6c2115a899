// The residual r = ∂loss/∂logits of one sample at the trained weights, the right-hand side of the
// NTK update (./ntk.ts): softmax(f) − onehot(y) for cross-entropy; f − y± for MSE with targets
// +1 for the class and −1 elsewhere, as the NTK forgetting reference code sets them.
export type UnlearnLoss = 'cross_entropy' | 'mse';
export const UNLEARN_LOSSES: readonly UnlearnLoss[] = ['cross_entropy', 'mse'];

/** Residuals of n samples, laid out [n, C] like the logits. */
export function residuals(
  loss: UnlearnLoss,
  logits: Float64Array,
  labels: ArrayLike<number>,
  classes: number,
): Float64Array {
  const n = labels.length;
  const r = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    if (loss === 'mse') {
      for (let c = 0; c < classes; c++) r[o + c] = logits[o + c]! - (c === labels[i] ? 1 : -1);
      continue;
    }
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[o + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c]! - m);
    for (let c = 0; c < classes; c++) r[o + c] = Math.exp(logits[o + c]! - m) / s - (c === labels[i] ? 1 : 0);
  }
  return r;
}
