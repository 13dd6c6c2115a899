// The figures unlearning is judged by, from logits on the host: accuracy, per-sample
// cross-entropy, and a loss-threshold membership-inference attack (Yeom et al.): a sample is
// called a training member when its loss is below a threshold. Its AUC over forget samples
// (members of the original training set) against held-out samples says how well the model
// still tells them apart: the retrained model's value is the target.

export function accuracy(logits: Float64Array, labels: ArrayLike<number>, classes: number): number {
  const n = labels.length;
  if (n === 0) return NaN;
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === labels[i]) right++;
  }
  return right / n;
}

export function crossEntropies(logits: Float64Array, labels: ArrayLike<number>, classes: number): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[o + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c]! - m);
    out[i] = m + Math.log(s) - logits[o + labels[i]!]!;
  }
  return out;
}

export interface AttackResult {
  /** P(loss of a member < loss of a non-member), ties counted half: 0.5 = no signal. */
  readonly auc: number;
  /** The best balanced accuracy of one threshold: (TPR + TNR) / 2. */
  readonly accuracy: number;
}

/** The loss-threshold attack, members' losses against non-members'. */
export function lossThresholdAttack(members: ArrayLike<number>, nonMembers: ArrayLike<number>): AttackResult {
  const m = members.length;
  const h = nonMembers.length;
  if (m === 0 || h === 0) return { auc: NaN, accuracy: NaN };
  const all = [
    ...Array.from(members, (l) => ({ l, member: true })),
    ...Array.from(nonMembers, (l) => ({ l, member: false })),
  ].sort((a, b) => a.l - b.l);
  // AUC by ranks (Mann–Whitney U), ties averaged.
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.l === all[i]!.l) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k]!.member) rankSum += rank;
    i = j;
  }
  // Members should have the lower losses: U counts member-below-nonmember pairs.
  const auc = (m * h + (m * (m + 1)) / 2 - rankSum) / (m * h);
  let tp = 0;
  let fp = 0;
  let best = 0.5;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.l === all[i]!.l) {
      if (all[j]!.member) tp++;
      else fp++;
      j++;
    }
    best = Math.max(best, (tp / m + 1 - fp / h) / 2);
    i = j;
  }
  return { auc, accuracy: best };
}
