// Running a search: the problem (problem.ts) over the opened space, the algorithm from the
// registry driven by a PRNG seeded from the spec, then the front and the best candidate of what
// was evaluated. The costly values come from a driver's measurer (compiler/drivers/search); the
// rest needs no device.
import { prng, type OpenSpace } from '../space/space.js';
import { algorithmOf } from './algorithms.js';
import type { AlgorithmOutcome } from './define.js';
import { best, paretoFront } from './pareto.js';
import { Problem, type Evaluated, type Measurer } from './problem.js';
import type { SearchSpec } from './spec.js';

export interface RunOptions {
  readonly spec: SearchSpec;
  readonly space: OpenSpace;
  readonly measure?: Measurer;
  /** A resumed search's log. */
  readonly replay?: readonly Evaluated[];
  readonly onEvaluated?: (e: Evaluated) => void;
  readonly stopped?: () => boolean;
  /** Static values from cached cell analyses where exact (space/incremental.ts); default false. */
  readonly incremental?: boolean;
}

export interface SearchResult {
  readonly problem: Problem;
  readonly outcome: AlgorithmOutcome;
  /** Wall time of the algorithm, ms (a resumed search's replay included). */
  readonly ms: number;
  /** The best feasible candidate (several goals: the best sum of ranks). */
  readonly best: Evaluated | undefined;
  /** The Pareto front of the feasible candidates, best first by the first goal. */
  readonly front: readonly Evaluated[];
}

export async function runSearch(o: RunOptions): Promise<SearchResult> {
  const { spec } = o;
  const def = algorithmOf(spec.algorithm);
  const problem = new Problem({
    space: o.space,
    goals: spec.goals,
    limits: spec.limits,
    features: def.features?.(spec.algorithm, spec.goals, spec.limits) ?? [],
    batch: spec.batch,
    ...(o.measure ? { measure: o.measure } : {}),
    ...(o.replay ? { replay: o.replay } : {}),
    ...(o.onEvaluated ? { onEvaluated: o.onEvaluated } : {}),
    ...(o.incremental !== undefined ? { incremental: o.incremental } : {}),
  });
  const next = prng(spec.seed);
  const t0 = performance.now();
  const outcome = await def.run(spec.algorithm, {
    problem,
    next,
    rng: () => next() / 4294967296,
    stopped: o.stopped ?? (() => false),
  });
  const ms = performance.now() - t0;
  const feasible = problem.feasible();
  return { problem, outcome, ms, best: best(feasible, spec.goals), front: paretoFront(feasible, spec.goals) };
}
