// The per-candidate cost of the data-dependent proxies, by stage (`mdl score --profile` and the
// bench): the backend's programs time what they do on the device (pipelines, upload, execute,
// readback: runtime/stages.ts), and `compile` is the rest of the candidate's wall time, the
// host's part: autodiff, planning and WGSL, the interpreter's setup, the proxies' reductions.
import type { Graph } from '../../ir/types.js';
import { STAGES, StageClock, type Stage } from '../../../runtime/stages.js';
import { measure, type MeasureOptions } from './measure.js';

/** A backend whose programs can be timed. */
export interface Clocked {
  clock: StageClock | undefined;
}

export interface Profiled {
  readonly values: Record<string, number>;
  readonly clock: StageClock;
  readonly wallMs: number;
}

/** `measure`, with the candidate's time split by stage. */
export async function measureProfiled(
  g: Graph,
  opts: MeasureOptions & { readonly backend: MeasureOptions['backend'] & Clocked },
): Promise<Profiled> {
  const clock = new StageClock();
  const before = opts.backend.clock;
  opts.backend.clock = clock;
  const t0 = performance.now();
  let values: Record<string, number>;
  try {
    values = await measure(g, opts);
  } finally {
    opts.backend.clock = before;
  }
  const wallMs = performance.now() - t0;
  clock.add('compile', Math.max(0, wallMs - clock.totalMs));
  return { values, clock, wallMs };
}

const LABEL: Readonly<Record<Stage, string>> = {
  compile: 'compile',
  pipelines: 'pipelines',
  upload: 'upload',
  execute: 'execute',
  readback: 'readback',
};

/** One candidate's line: `1.84 s: compile 0.31, pipelines 0.52 (40 kernels, 31 cached), …`. */
export function profileLine(name: string, c: StageClock): string {
  const parts = STAGES.map((k) => {
    const extra =
      k === 'pipelines' && c.pipelinesAsked > 0 ? ` (${c.pipelinesAsked} kernels, ${c.pipelinesCached} cached)` : '';
    return `${LABEL[k]} ${(c.ms[k] / 1000).toFixed(3)}${extra}`;
  });
  return `${name}: ${(c.totalMs / 1000).toFixed(3)} s = ${parts.join(' + ')}`;
}

/** The stages summed over candidates: seconds, share of the total, and ms per candidate. */
export function profileTable(clocks: readonly StageClock[]): string {
  const sum = new StageClock();
  for (const c of clocks) sum.merge(c);
  const n = Math.max(1, clocks.length);
  const total = Math.max(sum.totalMs, 1e-9);
  const rows = STAGES.map(
    (k) =>
      `  ${LABEL[k].padEnd(10)} ${(sum.ms[k] / 1000).toFixed(2).padStart(8)} s ${`${((100 * sum.ms[k]) / total).toFixed(1)}%`.padStart(7)} ${(sum.ms[k] / n).toFixed(1).padStart(9)} ms/candidate`,
  );
  const cached =
    sum.pipelinesAsked > 0
      ? `\n  pipelines: ${sum.pipelinesAsked} asked for, ${sum.pipelinesCached} (${((100 * sum.pipelinesCached) / sum.pipelinesAsked).toFixed(0)}%) from the cache`
      : '';
  return `${clocks.length} candidates, ${(total / 1000).toFixed(2)} s in all, by stage:\n${rows.join('\n')}${cached}`;
}
