// The continual-learning metrics as the official Online-LoRA / Si-Blurry code defines them, from
// the evaluations along the stream (each: the accuracy of every class seen so far on its held-out
// test samples):
//   A_auc   the mean, over evaluation points, of the accuracy on all classes seen so far;
//   A_last  that accuracy at the last evaluation point;
//   F_last  the mean, over the classes already seen at an earlier point, of (the best accuracy the
//           class had at an earlier point − its accuracy at the last point).

export interface Evaluation {
  /** Training samples seen when it was taken. */
  readonly samples: number;
  /** Accuracy on the test samples of all classes seen so far (sample-weighted). */
  readonly accuracy: number;
  /** Class → its accuracy, for the classes seen so far. */
  readonly perClass: ReadonlyMap<number, number>;
}

export interface StreamMetrics {
  readonly aAuc: number;
  readonly aLast: number;
  readonly fLast: number;
}

export function streamMetrics(evals: readonly Evaluation[]): StreamMetrics {
  if (evals.length === 0) return { aAuc: NaN, aLast: NaN, fLast: NaN };
  const aAuc = evals.reduce((a, e) => a + e.accuracy, 0) / evals.length;
  const last = evals[evals.length - 1]!;
  const drops: number[] = [];
  for (const [c, final] of last.perClass) {
    const earlier = evals.slice(0, -1).flatMap((e) => (e.perClass.has(c) ? [e.perClass.get(c)!] : []));
    if (earlier.length) drops.push(Math.max(...earlier) - final);
  }
  return {
    aAuc,
    aLast: last.accuracy,
    fLast: drops.length ? drops.reduce((a, x) => a + x, 0) / drops.length : 0,
  };
}
