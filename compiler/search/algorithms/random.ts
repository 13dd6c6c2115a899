// `random(n)`: the baseline every search is compared with. Draws candidates uniformly from the
// seed, skips those already evaluated (by index or canonical hash) and those outside a static
// limit, and evaluates until n candidates are feasible (or the space runs out).
import { formatCall } from '../args.js';
import { randomAdmissible, type AlgorithmDef } from '../define.js';

export interface RandomSpec {
  readonly kind: 'random';
  readonly n: number;
}

const ARGS = [
  { name: 'n', type: 'int', default: 100, min: 1, doc: 'how many feasible candidates to evaluate' },
] as const;

export const random: AlgorithmDef<RandomSpec> = {
  name: 'random',
  doc: 'uniform random sampling of n feasible candidates (the baseline)',
  args: ARGS,
  spec: (a) => ({ kind: 'random', n: a['n'] as number }),
  format: (s) => formatCall('random', ARGS, { n: s.n }),
  async run(s, ctx) {
    let feasible = 0;
    while (feasible < s.n && !ctx.stopped()) {
      const i = randomAdmissible(ctx);
      if (i === undefined) break;
      if ((await ctx.problem.evaluate(i, 'random')).feasible) feasible++;
    }
    return { notes: feasible < s.n ? [`the space ran out after ${feasible} feasible candidates`] : [] };
  },
};
