// `evolution(population, iterations, mutate=1, …)`: the evolutionary search of ZiCo (ICLR 2023,
// evolution_search.py) and Zen-NAS before it. A population of feasible candidates is grown
// from random ones; each iteration picks a parent (uniformly at random, as Zen-NAS does, or the
// best of a tournament, as regularised evolution does), changes `mutate` of its choices to
// other options, and, when the child may be proposed — not evaluated before (by index or
// canonical hash), building, within every static limit — evaluates it; a feasible child joins
// the population, and past its size the worst member leaves (Zen-NAS), or the oldest
// (`replace="oldest"`: Real et al.'s ageing). Every iteration counts, as in Zen-NAS's loop,
// whether or not its child was evaluated; a child that may not be proposed is drawn again, up
// to `retries` times, before the iteration is given up.
import { formatCall, type ArgDecl } from '../args.js';
import {
  below,
  digitsOf,
  indexOf,
  randomAdmissible,
  admissible,
  type AlgorithmDef,
  type SearchContext,
} from '../define.js';
import { fitness } from '../pareto.js';
import type { Evaluated } from '../problem.js';

export interface EvolutionSpec {
  readonly kind: 'evolution';
  readonly population: number;
  readonly iterations: number;
  readonly mutate: number;
  readonly tournament: number;
  readonly replace: 'worst' | 'oldest';
  readonly retries: number;
}

const ARGS: readonly ArgDecl[] = [
  { name: 'population', type: 'int', default: 64, min: 2, doc: 'how many candidates the population keeps' },
  { name: 'iterations', type: 'int', default: 1000, min: 1, doc: 'iterations, each proposing one candidate' },
  { name: 'mutate', type: 'int', default: 1, min: 1, doc: 'how many choices a mutation changes' },
  {
    name: 'tournament',
    type: 'int',
    default: 0,
    min: 0,
    doc: 'parents are the best of this many random members; 0: a uniformly random member (Zen-NAS)',
  },
  {
    name: 'replace',
    type: 'string',
    default: 'worst',
    oneOf: ['worst', 'oldest'],
    doc: 'which member leaves a full population: the worst (Zen-NAS) or the oldest (ageing evolution)',
  },
  { name: 'retries', type: 'int', default: 16, min: 1, doc: 'draws of a child per iteration before it is given up' },
];

export const evolution: AlgorithmDef<EvolutionSpec> = {
  name: 'evolution',
  doc: 'ZiCo/Zen-NAS evolutionary search: mutate a parent, keep the population within the limits, no duplicates',
  args: ARGS,
  spec: (a) => ({
    kind: 'evolution',
    population: a['population'] as number,
    iterations: a['iterations'] as number,
    mutate: a['mutate'] as number,
    tournament: a['tournament'] as number,
    replace: a['replace'] as 'worst' | 'oldest',
    retries: a['retries'] as number,
  }),
  format: (s) => formatCall('evolution', ARGS, { ...s }),
  async run(s, ctx) {
    const { problem } = ctx;
    const goals = problem.goals;
    const mutable = problem.space.radix.flatMap((r, k) => (r > 1 ? [k] : []));
    let pop: Evaluated[] = [];
    let gaveUp = 0;
    for (let it = 0; it < s.iterations && !ctx.stopped(); it++) {
      const grow = pop.length < s.population;
      let child: bigint | undefined;
      let parent: Evaluated | undefined;
      if (grow) child = randomAdmissible(ctx, s.retries);
      else
        for (let t = 0; t < s.retries && child === undefined; t++) {
          parent = select(pop, s.tournament, ctx);
          const c = mutant(parent.index, s.mutate, mutable, ctx);
          if (c !== undefined && admissible(problem, c)) child = c;
        }
      if (child === undefined) {
        gaveUp++;
        continue;
      }
      const e = await problem.evaluate(child, grow ? 'initial' : 'mutation', parent ? { parent: parent.step } : {});
      if (!e.feasible) continue;
      pop.push(e);
      if (pop.length > s.population) {
        if (s.replace === 'oldest') pop = pop.slice(1);
        else {
          const f = fitness(pop, goals);
          let worst = 0;
          for (let i = 1; i < pop.length; i++) if (f[i]! < f[worst]!) worst = i;
          pop.splice(worst, 1);
        }
      }
    }
    return {
      notes: gaveUp ? [`${gaveUp} iterations found no new candidate within the limits in ${s.retries} draws`] : [],
    };
  },
};

function select(pop: readonly Evaluated[], tournament: number, ctx: SearchContext): Evaluated {
  if (tournament <= 1) return pop[below(ctx, pop.length)]!;
  const picks = Array.from({ length: Math.min(tournament, pop.length) }, () => pop[below(ctx, pop.length)]!);
  const f = fitness(picks, ctx.problem.goals);
  let b = 0;
  for (let i = 1; i < picks.length; i++) if (f[i]! > f[b]!) b = i;
  return picks[b]!;
}

/** The parent with `count` distinct choices set to other options, drawn uniformly. */
function mutant(index: bigint, count: number, mutable: readonly number[], ctx: SearchContext): bigint | undefined {
  if (mutable.length === 0) return undefined;
  const radix = ctx.problem.space.radix;
  const d = digitsOf(index, radix);
  const pool = [...mutable];
  for (let m = 0; m < Math.min(count, mutable.length); m++) {
    const k = pool.splice(below(ctx, pool.length), 1)[0]!;
    const o = below(ctx, radix[k]! - 1);
    d[k] = o >= d[k]! ? o + 1 : o;
  }
  return indexOf(d, radix);
}
