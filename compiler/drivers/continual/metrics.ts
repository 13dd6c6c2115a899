// The continual-learning metrics as the official Online-LoRA / Si-Blurry code defines them
// (Si-blurry/online_lora.py), from the evaluations along the stream (each: the accuracy of every
// class seen so far on its held-out test samples):
//   A_auc   the mean, over the periodic evaluation points (every `eval_every` samples), of the
//           accuracy on all classes seen so far;
//   A_last  that accuracy at the end of the stream;
//   F_last  over the classes whose best accuracy at an earlier task's end is above 0, the mean of
//           (that best accuracy − the class's accuracy at the end). Only the ends of tasks count,
//           as in the official code: the best of many noisy periodic points would be biased up.

export interface Evaluation {
  /** Training samples seen when it was taken. */
  readonly samples: number;
  /** Accuracy on the test samples of all classes seen so far (sample-weighted). */
  readonly accuracy: number;
  /** Class → its accuracy, for the classes seen so far. */
  readonly perClass: ReadonlyMap<number, number>;
  /** One of the periodic points (A_auc averages these). */
  readonly periodic: boolean;
  /** Taken at the end of a task (F_last compares these); the last evaluation ends the stream. */
  readonly taskEnd: boolean;
}

export interface StreamMetrics {
  readonly aAuc: number;
  readonly aLast: number;
  readonly fLast: number;
}

export function streamMetrics(evals: readonly Evaluation[]): StreamMetrics {
  if (evals.length === 0) return { aAuc: NaN, aLast: NaN, fLast: NaN };
  const periodic = evals.filter((e) => e.periodic);
  const aAuc = periodic.length ? periodic.reduce((a, e) => a + e.accuracy, 0) / periodic.length : NaN;
  const last = evals[evals.length - 1]!;
  const ends = evals.slice(0, -1).filter((e) => e.taskEnd);
  const drops: number[] = [];
  for (const [c, final] of last.perClass) {
    const best = Math.max(0, ...ends.map((e) => e.perClass.get(c) ?? 0));
    if (best > 0) drops.push(best - final);
  }
  return {
    aAuc,
    aLast: last.accuracy,
    fLast: drops.length ? drops.reduce((a, x) => a + x, 0) / drops.length : 0,
  };
}
