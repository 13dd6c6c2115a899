// Where a program's time goes, by stage: what `mdl score --profile` and the bench print per
// candidate. The runtime times the stages it does (pipelines, upload, execute, readback); the
// driver that builds the plan times `compile` (autodiff, planning, WGSL). A clock is passed in
// by whoever wants the figures; without one nothing is timed and a run waits for the GPU once.
export const STAGES = ['compile', 'pipelines', 'upload', 'execute', 'readback'] as const;
export type Stage = (typeof STAGES)[number];

export class StageClock {
  readonly ms: Record<Stage, number> = { compile: 0, pipelines: 0, upload: 0, execute: 0, readback: 0 };
  /** Pipelines asked for, and how many of them the pipeline cache already held. */
  pipelinesAsked = 0;
  pipelinesCached = 0;

  add(stage: Stage, ms: number): void {
    this.ms[stage] += ms;
  }

  /** Runs `f`, adding its wall time to `stage`. */
  time<T>(stage: Stage, f: () => T): T {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      this.add(stage, performance.now() - t0);
    }
  }

  async timeAsync<T>(stage: Stage, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.add(stage, performance.now() - t0);
    }
  }

  get totalMs(): number {
    return STAGES.reduce((s, k) => s + this.ms[k], 0);
  }

  /** Adds another clock's figures to this one. */
  merge(o: StageClock): void {
    for (const k of STAGES) this.ms[k] += o.ms[k];
    this.pipelinesAsked += o.pipelinesAsked;
    this.pipelinesCached += o.pipelinesCached;
  }
}
