// What a search algorithm is: everything the search needs of one, declared in the algorithm's
// own file and collected in the registry (algorithms.ts). The section interpreter, the command
// line and the driver read these fields and never name an algorithm.
import type { Span } from '../source.js';
import { digitsOf, indexOf, uniformBelow } from '../space/space.js';
import type { ArgDecl, BoundArgs } from './args.js';
import type { Goal, Limit, Problem, Statics } from './problem.js';

export interface SearchContext {
  readonly problem: Problem;
  /** Uniform 32-bit words from the search's seed. */
  readonly next: () => number;
  /** Uniform numbers in [0, 1) from the same stream. */
  readonly rng: () => number;
  /** True once the user asked the search to stop (Ctrl-C): algorithms return at the next step. */
  readonly stopped: () => boolean;
}

/** A candidate an algorithm proposes without evaluating it (flash's final optimum), with its predicted values. */
export interface Prediction {
  readonly index: bigint;
  readonly arch: string;
  readonly hash?: string;
  /** Static values exactly, the predicted and modelled ones as predicted. */
  readonly values: Readonly<Record<string, number>>;
}

export interface AlgorithmOutcome {
  /** Lines for the report: the predictor's fit, the optimiser's counts, … */
  readonly notes: readonly string[];
  /** Candidates proposed but not evaluated, best first (flash: the predicted optimum and front). */
  readonly predictions?: readonly Prediction[];
}

export interface AlgorithmDef<S extends { readonly kind: string }> {
  readonly name: S['kind'];
  readonly doc: string;
  /** Keyword arguments, with types, defaults and bounds. */
  readonly args: readonly ArgDecl[];
  /** The bound arguments → the spec; what it cannot take (the goals included) is a located error. */
  spec(a: BoundArgs, span: Span | undefined, goals: readonly Goal[], limits: readonly Limit[]): S;
  /** One line for reports: `flash(samples=25)`. */
  format(s: S): string;
  /** Static values it reads besides the goals and limits (a predictor's features). */
  features?(s: S, goals: readonly Goal[], limits: readonly Limit[]): readonly string[];
  run(s: S, ctx: SearchContext): Promise<AlgorithmOutcome>;
}

/** A uniformly random candidate index. */
export function randomIndex(ctx: SearchContext): bigint {
  return uniformBelow(ctx.problem.space.size, ctx.next);
}

/** A uniform integer in [0, n). */
export function below(ctx: SearchContext, n: number): number {
  return Math.min(n - 1, Math.floor(ctx.rng() * n));
}

/**
 * The candidate's static values when it may be proposed: it builds, neither it nor a candidate
 * computing the same function was evaluated, and it is within every static limit.
 */
export function admissible(problem: Problem, index: bigint): Statics | undefined {
  if (problem.seen(index)) return undefined;
  const s = problem.statics(index);
  if (s.error !== undefined || problem.seen(index, s.hash) || problem.violation(s.values, 'static') !== undefined)
    return undefined;
  return s;
}

/**
 * Draws random candidates until one is admissible; undefined after `tries` draws (a small or
 * mostly evaluated space).
 */
export function randomAdmissible(ctx: SearchContext, tries = 1000): bigint | undefined {
  for (let t = 0; t < tries; t++) {
    const i = randomIndex(ctx);
    if (admissible(ctx.problem, i)) return i;
  }
  return undefined;
}

export { digitsOf, indexOf };
