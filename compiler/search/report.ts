// What `mdl search` prints and draws: a summary (the search, its counts and time, the
// algorithm's notes), a table of the best candidate and the Pareto front (with each one's
// truth and rank in a reference table, when `--against` gives one), and an SVG with the front
// and the search's progress (each evaluation's first objective and the best so far).
import { panelsSvg, type Panel } from '../space/plot.js';
import { algorithmOf } from './algorithms.js';
import type { Prediction } from './define.js';
import { fmt, type Evaluated, type Goal } from './problem.js';
import type { SearchResult } from './run.js';
import type { SearchSpec } from './spec.js';

/** A reference table's truth by name, and each value's rank among all its rows (1 = best). */
export interface Reference {
  readonly column: string;
  readonly truth: (arch: string) => number | undefined;
  readonly rank: (value: number) => number;
  readonly rows: number;
}

/** A reference from truth values by name (higher is better). */
export function reference(column: string, byName: ReadonlyMap<string, number>): Reference {
  const sorted = [...byName.values()].sort((a, b) => b - a);
  return {
    column,
    rows: sorted.length,
    truth: (a) => byName.get(a),
    // The number of rows strictly better, plus one.
    rank: (v) => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! > v) lo = mid + 1;
        else hi = mid;
      }
      return lo + 1;
    },
  };
}

export function describeGoals(spec: SearchSpec): string {
  const goals = spec.goals.map((g) => `${g.sign > 0 ? 'maximize' : 'minimize'} ${g.name}`).join(', ');
  const limits = spec.limits.map(limitText).join(', ');
  return `objectives: ${goals}${limits ? `; constraints: ${limits}` : ''}`;
}

export function limitText(l: { name: string; min?: number; max?: number }): string {
  return [
    l.min !== undefined ? `${l.name} ≥ ${fmt(l.min)}` : '',
    l.max !== undefined ? `${l.name} ≤ ${fmt(l.max)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

type Item = Pick<Evaluated, 'index' | 'arch' | 'values'> & { step?: number; predicted?: number };

function table(items: readonly Item[], spec: SearchSpec, ref: Reference | undefined, predicted: boolean): string[] {
  const names = [...new Set([...spec.goals.map((g) => g.name), ...spec.limits.map((l) => l.name)])];
  const head = [
    ...(predicted ? [] : ['step']),
    'index',
    ...names.map((n) => (predicted && n === spec.goals[0]!.name ? `${n} (predicted)` : n)),
    ...(ref ? [ref.column, 'rank'] : []),
    'arch',
  ];
  const body = items.map((e) => {
    const t = ref?.truth(e.arch);
    return [
      ...(predicted ? [] : [String(e.step ?? '')]),
      String(e.index),
      ...names.map((n) => {
        const v = e.values[n];
        return typeof v === 'number' ? fmt(v) : v === undefined ? '-' : String(v);
      }),
      ...(ref ? [t === undefined ? '-' : fmt(t), t === undefined ? '-' : `${ref.rank(t)}/${ref.rows}`] : []),
      e.arch,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const last = head.length - 1;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === last ? c : i === 0 && !predicted ? c.padStart(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ');
  return [line(head), widths.map((w, i) => '─'.repeat(i === last ? Math.min(w, 40) : w)).join('  '), ...body.map(line)];
}

const MAX_ROWS = 20;

export function formatReport(
  spec: SearchSpec,
  r: SearchResult,
  about: { readonly file: string; readonly sources?: readonly string[]; readonly ref?: Reference },
): string {
  const p = r.problem;
  const feasible = p.feasible().length;
  const out = [
    `search ${spec.name}: ${algorithmOf(spec.algorithm).format(spec.algorithm)} over space ${p.space.def.name} of ${about.file} (${p.space.size.toLocaleString('en')} candidates, ${p.space.radix.length} choices), seed ${spec.seed}`,
    describeGoals(spec),
    ...(about.sources ?? []),
    `evaluated ${p.log.length.toLocaleString('en')} candidates (${feasible.toLocaleString('en')} feasible) in ${(r.ms / 1000).toFixed(2)} s; ${p.compiled.toLocaleString('en')} candidates compiled, ${p.measured.toLocaleString('en')} measured${p.replayed ? `, ${p.replayed.toLocaleString('en')} replayed from the log` : ''}`,
    ...r.outcome.notes,
  ];
  if (!r.best) {
    out.push('no feasible candidate was found');
    return out.join('\n') + '\n';
  }
  const front = r.front.length > 1 ? r.front : [r.best];
  out.push(
    '',
    spec.goals.length > 1
      ? `Pareto front (${r.front.length} candidate${r.front.length === 1 ? '' : 's'}; the best by sum of ranks first):`
      : 'best:',
  );
  const ordered = [r.best, ...front.filter((e) => e !== r.best)];
  out.push(...table(ordered.slice(0, MAX_ROWS), spec, about.ref, false));
  if (ordered.length > MAX_ROWS) out.push(`… and ${ordered.length - MAX_ROWS} more (all of them in --out)`);
  const preds = r.outcome.predictions ?? [];
  if (preds.length) {
    out.push(
      '',
      `predicted (not evaluated): the optimum first${preds.length > 1 ? ', then the front of what the optimiser compared' : ''}:`,
    );
    out.push(...table(preds.slice(0, MAX_ROWS) as Item[], spec, about.ref, true));
    if (preds.length > MAX_ROWS) out.push(`… and ${preds.length - MAX_ROWS} more`);
  }
  return out.join('\n') + '\n';
}

/** The SVG: the front (two objectives, or the first against a cost) and the progress of the first objective. */
export function searchSvg(spec: SearchSpec, r: SearchResult, predictions: readonly Prediction[] = []): string {
  const g0: Goal = spec.goals[0]!;
  const feasible = r.problem.feasible();
  const panels: Panel[] = [];
  const pts = feasible.map((e) => [e.step, e.values[g0.name] as number] as const);
  const bestSoFar: [number, number][] = [];
  let b: number | undefined;
  for (const [x, y] of pts)
    if (b === undefined || g0.sign * y > g0.sign * b) {
      b = y;
      bestSoFar.push([x, y]);
    }
  if (bestSoFar.length) bestSoFar.push([pts[pts.length - 1]![0], b!]);
  panels.push({
    title: `progress: ${g0.name} per evaluation, best so far`,
    xLabel: 'evaluation',
    yLabel: g0.name,
    points: pts,
    front: bestSoFar,
  });
  // The front: the second objective, else a static cost the candidates have.
  const x =
    spec.goals[1]?.name ??
    ['macs', 'params', 'flops', ...spec.limits.map((l) => l.name)].find((n) =>
      feasible.some((e) => typeof e.values[n] === 'number'),
    );
  if (x) {
    const xs = (e: { values: Readonly<Record<string, unknown>> }) => e.values[x] as number;
    const points = feasible
      .filter((e) => typeof e.values[x] === 'number')
      .map((e) => [xs(e), e.values[g0.name] as number] as const);
    const front = (spec.goals.length > 1 ? r.front : paretoOf(feasible, x, g0)).map(
      (e) => [xs(e), e.values[g0.name] as number] as const,
    );
    panels.push({
      title: `${spec.goals.length > 1 ? 'Pareto front' : 'front'}: ${g0.name} vs ${x}`,
      xLabel: x,
      yLabel: g0.name,
      points,
      front: [...front].sort((a, c) => a[0] - c[0]),
    });
    const pp = predictions.filter((p) => typeof p.values[x] === 'number');
    if (pp.length > 1)
      panels.push({
        title: `predicted front: ${g0.name} (predicted) vs ${x}`,
        xLabel: x,
        yLabel: `${g0.name} (predicted)`,
        points: pp.map((p) => [p.values[x]!, p.values[g0.name]!] as const),
        front: pp
          .slice(1)
          .map((p) => [p.values[x]!, p.values[g0.name]!] as const)
          .sort((a, c) => a[0] - c[0]),
      });
  }
  return panelsSvg(panels);
}

/** The front of the first objective against a cost (lower cost, better objective). */
function paretoOf(items: readonly Evaluated[], cost: string, g: Goal): Evaluated[] {
  const sorted = [...items].sort(
    (a, b) =>
      (a.values[cost] as number) - (b.values[cost] as number) ||
      g.sign * ((b.values[g.name] as number) - (a.values[g.name] as number)),
  );
  const out: Evaluated[] = [];
  let best = -Infinity;
  for (const e of sorted) {
    const v = g.sign * (e.values[g.name] as number);
    if (v > best) {
      out.push(e);
      best = v;
    }
  }
  return out;
}
