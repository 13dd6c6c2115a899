// A search problem: a space, the goals (objectives to maximise or minimise) and the limits
// (constraints), and the one way every algorithm evaluates a candidate, so that no algorithm
// can propose a candidate twice, skip a constraint, or spend a costly measurement on a
// candidate an earlier, cheaper check already ruled out.
//
// An evaluation obtains values cheap first: the static ones from the graph (compiler/space's
// Scorer: parameters, MACs, NN-Degree, …, and the canonical hash), then the static limits are
// checked; then the hardware costs (the driver measures them on the adapter), and their limits;
// then the data-dependent proxies and the true accuracy (the driver, again). A candidate that
// fails a check is recorded as infeasible with the limit it broke, and nothing costlier is spent
// on it.
//
// Every evaluation is logged in order (`step`). A resumed search replays its log: the algorithm
// runs again from its seed, and each evaluation it asks for is answered from the log (the
// candidate must be the one the log holds at that step), so a search stopped at any point and
// resumed continues exactly as the uninterrupted one would have.
import { Scorer, type Row } from '../space/evaluate.js';
import { getProxy } from '../space/proxies.js';
import type { OpenSpace } from '../space/space.js';
import { OBJECTIVES, type ObjectiveName, type ObjectiveSource } from './objectives.js';

/** An objective and its direction: +1 maximise, −1 minimise. */
export interface Goal {
  readonly name: ObjectiveName;
  readonly sign: 1 | -1;
}

/** A constraint: lower and/or upper bound on an objective's value. */
export interface Limit {
  readonly name: ObjectiveName;
  readonly min?: number;
  readonly max?: number;
}

export type Value = number | string;

/** One evaluated candidate, as the search log records it. */
export interface Evaluated {
  /** Its place in the order of evaluations, from 0. */
  readonly step: number;
  readonly index: bigint;
  readonly arch: string;
  readonly hash?: string;
  /** Every value obtained: the static ones, and the costly ones unless a check stopped first. */
  readonly values: Readonly<Record<string, Value>>;
  /** Built, within every limit, every goal a finite number. */
  readonly feasible: boolean;
  /** Why it has no values: it does not build, or a measurement failed. */
  readonly error?: string;
  /** The first limit it breaks, as `macs 1.2e8 > 1e8`. */
  readonly violated?: string;
  /** What proposed it: `random`, `initial`, `mutation`, `sample`, `proposal`, … */
  readonly phase: string;
  /** The step of the candidate it was mutated from. */
  readonly parent?: number;
  /** The value the algorithm's predictor gave it when it proposed it (flash). */
  readonly predicted?: number;
}

/** The costly values of a candidate, measured by a driver: hardware costs, data proxies, truth. */
export type Measurer = (
  index: bigint,
  arch: string,
  names: readonly ObjectiveName[],
) => Promise<Readonly<Record<string, Value>>>;

export class ResumeMismatch extends Error {}

export interface ProblemOptions {
  readonly space: OpenSpace;
  readonly goals: readonly Goal[];
  readonly limits: readonly Limit[];
  /** Static values an algorithm reads besides the goals and limits (a predictor's features). */
  readonly features?: readonly string[];
  /** The batch size static costs are counted at. */
  readonly batch?: number;
  /** Measures what is not static; absent, only static objectives can be evaluated. */
  readonly measure?: Measurer;
  /** The log of an earlier run of the same search: replayed, not measured again. */
  readonly replay?: readonly Evaluated[];
  /** Called with each new evaluation (not with replayed ones), in order. */
  readonly onEvaluated?: (e: Evaluated) => void;
  /** Static values from cached cell analyses where exact (space/incremental.ts); default false. */
  readonly incremental?: boolean;
}

/** A candidate's static values (or why it does not build), memoised by index. */
export interface Statics {
  readonly index: bigint;
  readonly arch: string;
  readonly hash?: string;
  readonly values: Readonly<Record<string, number>>;
  readonly error?: string;
}

const ORDER: readonly ObjectiveSource[] = ['static', 'hardware', 'data', 'truth'];

export class Problem {
  readonly space: OpenSpace;
  readonly goals: readonly Goal[];
  readonly limits: readonly Limit[];
  readonly log: Evaluated[] = [];
  /** Static values by name. */
  readonly staticNames: readonly string[];
  readonly scorer: Scorer;
  private readonly memo = new Map<bigint, Statics>();
  private readonly hashes = new Set<string>();
  private readonly indices = new Set<bigint>();
  private readonly opts: ProblemOptions;
  /** Candidates elaborated (each at most once). */
  compiled = 0;
  /** Candidates whose costly values were measured (not answered from a resumed log). */
  measured = 0;
  /** Evaluations answered from a resumed log. */
  replayed = 0;

  constructor(opts: ProblemOptions) {
    this.opts = opts;
    this.space = opts.space;
    this.goals = opts.goals;
    this.limits = opts.limits;
    const names = new Set<string>();
    for (const n of [...opts.goals.map((g) => g.name), ...opts.limits.map((l) => l.name), ...(opts.features ?? [])])
      if (getProxy(n) && !getProxy(n)!.data) names.add(n);
    this.staticNames = [...names];
    this.scorer = new Scorer(
      opts.space,
      this.staticNames,
      opts.batch ?? 1,
      opts.incremental ? 'incremental' : 'traced',
    );
  }

  /** The names the goals and limits need from `source`. */
  namesFrom(source: ObjectiveSource): ObjectiveName[] {
    const all = [...this.goals.map((g) => g.name), ...this.limits.map((l) => l.name)];
    return [...new Set(all)].filter((n) => OBJECTIVES[n].source === source);
  }

  /** Elaborates a candidate (once) and computes its static values and canonical hash. */
  statics(index: bigint): Statics {
    let s = this.memo.get(index);
    if (s) return s;
    const row: Row = this.scorer.score(index);
    this.compiled++;
    const values: Record<string, number> = {};
    for (const n of this.staticNames) if (typeof row[n] === 'number') values[n] = row[n];
    s = {
      index,
      arch: row.arch,
      ...(row.hash !== undefined ? { hash: row.hash } : {}),
      values,
      ...(row.error !== undefined ? { error: row.error } : {}),
    };
    this.memo.set(index, s);
    return s;
  }

  /** The first limit the values break, in words; undefined when none is broken or known yet. */
  violation(values: Readonly<Record<string, Value>>, source?: ObjectiveSource): string | undefined {
    for (const l of this.limits) {
      if (source !== undefined && OBJECTIVES[l.name].source !== source) continue;
      const v = values[l.name];
      if (typeof v !== 'number') continue;
      if (l.max !== undefined && !(v <= l.max)) return `${l.name} ${fmt(v)} > ${fmt(l.max)}`;
      if (l.min !== undefined && !(v >= l.min)) return `${l.name} ${fmt(v)} < ${fmt(l.min)}`;
    }
    return undefined;
  }

  /** Whether a candidate with this index, or one computing the same function, was evaluated. */
  seen(index: bigint, hash?: string): boolean {
    return this.indices.has(index) || (hash !== undefined && this.hashes.has(hash));
  }

  /**
   * Evaluates a candidate: every goal and limit, cheap first, stopping at the first limit it
   * breaks. Logged (and passed to `onEvaluated`); answered from the replayed log when resuming.
   */
  async evaluate(
    index: bigint,
    phase: string,
    extra: { parent?: number; predicted?: number } = {},
  ): Promise<Evaluated> {
    const step = this.log.length;
    const old = this.opts.replay?.[step];
    if (old) {
      if (old.index !== index || old.phase !== phase)
        throw new ResumeMismatch(
          `step ${step} of the log is candidate ${old.index} (${old.phase}); this search proposes ${index} (${phase})`,
        );
      this.replayed++;
      return this.record(old, false);
    }
    const s = this.statics(index);
    const base = {
      step,
      index,
      arch: s.arch,
      ...(s.hash !== undefined ? { hash: s.hash } : {}),
      phase,
      ...(extra.parent !== undefined ? { parent: extra.parent } : {}),
      ...(extra.predicted !== undefined ? { predicted: extra.predicted } : {}),
    };
    const values: Record<string, Value> = { ...s.values };
    const done = (more: { error?: string; violated?: string } = {}): Evaluated => {
      // A goal that is not a finite number cannot be ranked: the candidate is not feasible.
      const unranked = more.violated ? undefined : this.goals.find((g) => !isFiniteNumber(values[g.name]));
      const error = more.error ?? (unranked ? `${unranked.name} is not a finite number` : undefined);
      return this.record(
        {
          ...base,
          values,
          feasible: error === undefined && more.violated === undefined,
          ...(error !== undefined ? { error } : {}),
          ...(more.violated !== undefined ? { violated: more.violated } : {}),
        },
        true,
      );
    };
    if (s.error !== undefined) return done({ error: s.error });
    let measured = false;
    for (const source of ORDER) {
      if (source !== 'static') {
        const names = this.namesFrom(source);
        if (names.length === 0) continue;
        if (!this.opts.measure) return done({ error: `nothing measures ${names.join(', ')} here` });
        if (!measured) this.measured++;
        measured = true;
        try {
          Object.assign(values, await this.opts.measure(index, s.arch, names));
        } catch (e) {
          return done({ error: (e as Error).message.split('\n')[0]! });
        }
      }
      const violated = this.violation(values, source);
      if (violated) return done({ violated });
    }
    return done();
  }

  private record(e: Evaluated, fresh: boolean): Evaluated {
    this.log.push(e);
    this.indices.add(e.index);
    if (e.hash !== undefined) this.hashes.add(e.hash);
    if (fresh) this.opts.onEvaluated?.(e);
    return e;
  }

  /** The feasible evaluations so far. */
  feasible(): Evaluated[] {
    return this.log.filter((e) => e.feasible);
  }
}

const isFiniteNumber = (v: Value | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Numbers as reports print them: integers with separators, others to 4 significant digits. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en');
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(3) : String(+v.toPrecision(4));
}
