// `flash(samples=25, …)`: FLASH (Li, Mandal, Ogras, Marculescu, ACM TECS 2021). A few
// candidates are evaluated for the costly objective (true accuracy from a table, or a data
// proxy), an accuracy predictor is fitted on their static features — NN-Degree and the
// parameters the output depends on (`live_params`) by default — by least squares
// (predictor.ts), hardware models of the measured costs (latency, training-step time, plan
// memory) are fitted on FLOPs and activation bytes of the candidates measured (non-negative
// least squares: a cost never falls with more work), and a global optimiser (optimise.ts,
// SHGO's sampling, minimiser pool and local refinement on the lattice of valid candidates)
// maximises the predicted objective within the limits (the static ones exactly, the hardware
// ones through their models).
//
// The budget is `samples` evaluations. The first `initial` are random; each later one is the
// optimiser's best not-yet-evaluated candidate under the predictor refitted on everything
// evaluated so far. `initial = samples − 1` is the paper's protocol within the same budget:
// random samples, one fit, one optimisation, the optimum evaluated. At the end the predictor is
// fitted on all samples and optimised once more: that optimum (not evaluated) and the front of
// what the optimiser saw are reported as predictions.
//
// Why `live_params` and not `params`: a NAS-Bench-201 cell whose output edges are all `none`
// computes a constant (10 % accuracy) yet has the most parameters of the space, as the table
// counts them. With `params` the predictor proposes it, and that one 10 % sample then tilts the
// whole linear fit (2 of 10 seeds ended below 92.7 %). On spaces without dead layers, such as
// FLASH's own, the two are equal.
import { formatCall, type ArgDecl } from '../args.js';
import { admissible, indexOf, randomAdmissible, type AlgorithmDef, type Prediction } from '../define.js';
import { fail } from '../../diagnostics/diagnostic.js';
import { OBJECTIVES, type ObjectiveName } from '../objectives.js';
import { optimise, type Lattice } from '../optimise.js';
import { paretoFront } from '../pareto.js';
import { BASES, fitCostModel, fitPredictor, formatFit, predict, type Basis, type Fit } from '../predictor.js';
import { fmt, type Problem } from '../problem.js';
import { PROXIES } from '../../space/proxies.js';

export interface FlashSpec {
  readonly kind: 'flash';
  readonly samples: number;
  readonly initial: number;
  readonly features: readonly string[];
  readonly basis: Basis;
  readonly ridge: number;
  readonly points: number;
  readonly starts: number;
  readonly neighbours: number;
  readonly budget: number;
}

const STATIC_PROXIES = PROXIES.filter((p) => !p.data).map((p) => p.name);

/** What the hardware models are fitted on: the work and the memory traffic of a pass. */
export const HARDWARE_FEATURES: readonly string[] = ['flops', 'activation_bytes'];

const ARGS: readonly ArgDecl[] = [
  { name: 'samples', type: 'int', default: 25, min: 2, doc: 'evaluations of the costly objective in all' },
  {
    name: 'initial',
    type: 'int',
    default: 10,
    min: 2,
    doc: 'of which random; the rest are the optimum of the predictor refitted each time (samples − 1: fit once, as the paper)',
  },
  {
    name: 'features',
    type: 'names',
    default: ['nn_degree', 'live_params'],
    oneOf: STATIC_PROXIES,
    doc: 'the static proxies the predictor reads',
  },
  { name: 'basis', type: 'string', default: 'linear', oneOf: BASES, doc: 'linear, or quadratic (with products)' },
  { name: 'ridge', type: 'float', default: 0, min: 0, doc: 'ridge penalty on the standardised coefficients' },
  { name: 'points', type: 'int', default: 64, min: 4, doc: "the optimiser's sampling points" },
  { name: 'starts', type: 'int', default: 4, min: 1, doc: 'local refinements from the best of the minimiser pool' },
  { name: 'neighbours', type: 'int', default: 8, min: 1, doc: 'neighbours a pool point must be at least as good as' },
  { name: 'budget', type: 'int', default: 2000, min: 1, doc: 'candidates one optimisation may evaluate at most' },
];

const hardwareNames = (p: Problem): ObjectiveName[] => p.namesFrom('hardware');

export const flash: AlgorithmDef<FlashSpec> = {
  name: 'flash',
  doc: 'FLASH: fit a predictor on a few evaluated candidates, then optimise it globally within the limits',
  args: ARGS,
  spec(a, span, goals) {
    const target = goals[0];
    if (!target || (OBJECTIVES[target.name].source !== 'truth' && OBJECTIVES[target.name].source !== 'data'))
      fail(
        'MDL3004',
        `flash() fits a predictor of a measured objective; ${target ? `\`${target.name}\` is computed exactly` : 'there is no objective'}`,
        span,
        {
          hint: 'maximize = [accuracy] (with a truth table) or a data proxy such as zico; for static objectives use evolution()',
        },
      );
    const s: FlashSpec = {
      kind: 'flash',
      samples: a['samples'] as number,
      initial: a['initial'] as number,
      features: a['features'] as readonly string[],
      basis: a['basis'] as Basis,
      ridge: a['ridge'] as number,
      points: a['points'] as number,
      starts: a['starts'] as number,
      neighbours: a['neighbours'] as number,
      budget: a['budget'] as number,
    };
    if (s.initial > s.samples)
      fail('MDL3004', `flash(): initial (${s.initial}) must not exceed samples (${s.samples})`, span);
    if (s.features.length === 0) fail('MDL3004', 'flash(): features needs at least one static proxy', span);
    return s;
  },
  format: (s) => formatCall('flash', ARGS, { ...s }),
  features: (s, goals, limits) =>
    [...goals, ...limits].some((g) => OBJECTIVES[g.name].source === 'hardware')
      ? [...s.features, ...HARDWARE_FEATURES]
      : s.features,
  async run(s, ctx) {
    const { problem } = ctx;
    const target = problem.goals[0]!;
    const notes: string[] = [];
    const start = problem.log.length;
    const used = () => problem.log.length - start;
    const times: number[] = [];
    let fit: Fit | undefined;
    while (used() < s.samples && !ctx.stopped()) {
      if (used() >= s.initial) {
        fit = fitTarget(problem, s);
        const t0 = performance.now();
        const r = fit ? runOptimiser(problem, s, fit, ctx.rng) : undefined;
        times.push(performance.now() - t0);
        if (r?.best) {
          await problem.evaluate(r.best.index, 'proposal', { predicted: r.best.predicted });
          continue;
        }
      }
      const i = randomAdmissible(ctx);
      if (i === undefined) break;
      await problem.evaluate(i, 'sample');
    }
    fit = fitTarget(problem, s);
    if (!fit) return { notes: [`too few feasible samples to fit a predictor of ${target.name}`] };
    notes.push(`predictor: ${formatFit(fit, target.name)}`);
    for (const [name, hw] of hardwareFits(problem)) notes.push(`hardware model: ${formatFit(hw, name)}`);
    const t0 = performance.now();
    const final = runOptimiser(problem, s, fit, ctx.rng, true);
    const ms = performance.now() - t0;
    if (times.length)
      notes.push(`optimiser during sampling: ${times.length} runs, ${fmt(mean(times))} ms each on average`);
    notes.push(
      `search after fitting: ${fmt(ms)} ms, ${final.evaluated} candidates evaluated by the optimiser (${final.compiled} compiled), minimiser pool ${final.pool}, ${final.refinements} local refinements`,
    );
    const predictions: Prediction[] = [];
    if (final.best) predictions.push(final.best.prediction);
    for (const p of paretoFront(final.seen, problem.goals))
      if (!final.best || p.index !== final.best.index) predictions.push(p);
    return { notes, predictions };
  },
};

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The samples of a value with every feature present. */
function samplesOf(problem: Problem, features: readonly string[], name: string): { x: number[]; y: number }[] {
  const out: { x: number[]; y: number }[] = [];
  for (const e of problem.log) {
    const y = e.values[name];
    const x = features.map((f) => e.values[f]);
    if (typeof y === 'number' && Number.isFinite(y) && x.every((v) => typeof v === 'number'))
      out.push({ x: x as number[], y });
  }
  return out;
}

function fitTarget(problem: Problem, s: FlashSpec): Fit | undefined {
  const data = samplesOf(problem, s.features, problem.goals[0]!.name);
  return data.length >= 2 ? fitPredictor(data, s.features, s.basis, s.ridge) : undefined;
}

/** A linear model with non-negative coefficients per measured hardware cost, once three candidates have it. */
function hardwareFits(problem: Problem): Map<string, Fit> {
  const fits = new Map<string, Fit>();
  for (const name of hardwareNames(problem)) {
    const data = samplesOf(problem, HARDWARE_FEATURES, name);
    if (data.length >= 3) fits.set(name, fitCostModel(data, HARDWARE_FEATURES));
  }
  return fits;
}

interface Run {
  readonly best: { index: bigint; predicted: number; prediction: Prediction } | undefined;
  readonly evaluated: number;
  readonly compiled: number;
  readonly pool: number;
  readonly refinements: number;
  /** Every feasible candidate it evaluated that the search did not, with predicted values (for the final front). */
  readonly seen: Prediction[];
}

function runOptimiser(problem: Problem, s: FlashSpec, fit: Fit, rng: () => number, keep = false): Run {
  const { space, goals } = problem;
  const target = goals[0]!;
  const hw = hardwareFits(problem);
  const ordered = space.choices.map((c) => {
    const v = c.options.map((o) => (o.t === 'int' || o.t === 'float' ? o.v : NaN));
    if (v.some((x) => Number.isNaN(x))) return false;
    return v.every((x, i) => i === 0 || x > v[i - 1]!) || v.every((x, i) => i === 0 || x < v[i - 1]!);
  });
  const compiledBefore = problem.compiled;
  const seen: Prediction[] = [];
  const byKey = new Map<string, Prediction>();
  const lattice: Lattice = {
    radix: space.radix,
    ordered,
    value(d) {
      const st = problem.statics(indexOf(d, space.radix));
      if (st.error !== undefined || problem.violation(st.values, 'static') !== undefined) return undefined;
      const x = s.features.map((f) => st.values[f]);
      if (x.some((v) => v === undefined)) return undefined;
      const values: Record<string, number> = { ...st.values, [target.name]: predict(fit, x as number[]) };
      for (const [name, m] of hw)
        values[name] = predict(
          m,
          HARDWARE_FEATURES.map((f) => st.values[f] ?? 0),
        );
      if (problem.violation(values, 'hardware') !== undefined) return undefined;
      const p: Prediction = {
        index: st.index,
        arch: st.arch,
        ...(st.hash !== undefined ? { hash: st.hash } : {}),
        values,
      };
      byKey.set(d.join(','), p);
      if (keep && goals.every((g) => typeof values[g.name] === 'number') && admissible(problem, st.index)) seen.push(p);
      return target.sign * values[target.name]!;
    },
    allowed: (d) => admissible(problem, indexOf(d, space.radix)) !== undefined,
  };
  const r = optimise(lattice, { points: s.points, starts: s.starts, neighbours: s.neighbours, rng, budget: s.budget });
  const p = r.best ? byKey.get(r.best.digits.join(',')) : undefined;
  return {
    best: r.best && p ? { index: p.index, predicted: p.values[target.name]!, prediction: p } : undefined,
    evaluated: r.evaluated,
    compiled: problem.compiled - compiledBefore,
    pool: r.pool,
    refinements: r.refinements,
    seen,
  };
}
