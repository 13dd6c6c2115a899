// Learning-rate schedules. A schedule is a pure function of the global step, so a resumed run
// reproduces the uninterrupted one exactly, and the learning rate reaches the training step as
// a scalar input: no schedule changes the compiled graph.

export type Schedule =
  | { readonly kind: 'constant'; readonly warmup: number }
  /** Multiply by `gamma` every `every` epochs (torch.optim.lr_scheduler.StepLR). */
  | { readonly kind: 'step'; readonly warmup: number; readonly every: number; readonly gamma: number }
  /** Cosine decay from the base rate to `minLr` over the whole run (CosineAnnealingLR, one cycle). */
  | { readonly kind: 'cosine'; readonly warmup: number; readonly minLr: number };

export interface ScheduleContext {
  readonly baseLr: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
}

/**
 * The learning rate of step `t` (0-based). A linear warm-up over the first `warmup` steps
 * ramps from baseLr/warmup to baseLr; the decay then runs over the steps after the warm-up.
 */
export function learningRate(s: Schedule, ctx: ScheduleContext, t: number): number {
  const { baseLr } = ctx;
  if (s.warmup > 0 && t < s.warmup) return (baseLr * (t + 1)) / s.warmup;
  switch (s.kind) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * s.gamma ** Math.floor(t / (s.every * ctx.stepsPerEpoch));
    case 'cosine': {
      const span = Math.max(1, ctx.totalSteps - s.warmup);
      const p = Math.min(1, (t - s.warmup) / span);
      return s.minLr + (baseLr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
  }
}
