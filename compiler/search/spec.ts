// A `search` section's settings, checked and turned into what `mdl search` runs: the space, the
// algorithm, the objectives and the constraints, and where costly values come from. Every
// mistake is a located diagnostic; `mdl search` flags override the section (the same checks,
// reported as usage errors).
//
//   search flash25 {
//     candidates = cifar10                 # a space section of this file
//     algorithm = flash(samples=25)        # random(n=…), evolution(population=…, iterations=…), flash(…)
//     maximize = [accuracy]                # objectives (one, or several: a Pareto front)
//     minimize = [latency]
//     constraints = [params(max=1e6), latency(max=20)]
//     truth = "nats_tss_15625_test_acc.csv.gz"   # accuracy by candidate name; relative to this file
//     seed = 0
//   }
import { diag, MdlError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { SettingsSection } from '../elaborate/elaborate.js';
import { repr, typeName, type V } from '../elaborate/values.js';
import type { Span } from '../source.js';
import { ALGORITHM_NAMES, algorithmNamed, type AlgorithmSpec } from './algorithms.js';
import { bindArgs, nameOf } from './args.js';
import { isObjectiveName, OBJECTIVE_NAMES, OBJECTIVES } from './objectives.js';
import type { Goal, Limit } from './problem.js';
import { SpecError, bad } from '../elaborate/spec-errors.js';

export interface TruthSpec {
  /** The table (CSV, optionally gzipped): as written, relative to `base` when not absolute. */
  readonly path: string;
  /** Where `path` is relative to: the folder of the section's file, or the current folder (flags). */
  readonly base: 'file' | 'cwd';
  /** The column of candidate names, and of the truth; found as `mdl score --against` finds them when absent. */
  readonly key?: string;
  readonly column?: string;
}

export interface SearchSpec {
  /** The section's name (`cli` for a search given by flags alone). */
  readonly name: string;
  /** The space section searched; absent: the file's only one. */
  readonly space?: string;
  readonly algorithm: AlgorithmSpec;
  readonly goals: readonly Goal[];
  readonly limits: readonly Limit[];
  readonly seed: number;
  readonly truth?: TruthSpec;
  /** The data proxies' batches: data set, batch size, seed (mdl score's --data, --data-batch, --data-seed). */
  readonly data: { readonly name: string; readonly batch: number; readonly seed: number };
  /** The batch size static costs and hardware measurements use. */
  readonly batch: number;
}

/** A setting's value and where it was written (no span: a command-line flag). */
export interface Setting {
  readonly v: V;
  readonly span?: Span;
}

export const SEARCH_SETTINGS = [
  'candidates',
  'algorithm',
  'maximize',
  'minimize',
  'constraints',
  'seed',
  'truth',
  'key',
  'truth_column',
  'data',
  'data_batch',
  'data_seed',
  'batch',
] as const;

/** The calls a search section may make: the algorithms and the objectives (bare or with bounds). */
export const SEARCH_VOCABULARY: readonly string[] = [...ALGORITHM_NAMES, ...OBJECTIVE_NAMES];

const objectiveHint = () => `objectives: ${OBJECTIVE_NAMES.join(', ')} (\`mdl search --help\` says what each measures)`;

function objective(v: V, span: Span | undefined, what: string): (typeof OBJECTIVE_NAMES)[number] {
  const n = nameOf(v);
  if (n === undefined || !isObjectiveName(n))
    return bad(`${what} must name objectives, got ${typeName(v)} ${repr(v)}`, span, objectiveHint());
  return n;
}

function list(v: V): readonly V[] {
  return v.t === 'list' || v.t === 'tuple' ? v.items : [v];
}

function int(s: Setting, what: string, min: number): number {
  if (s.v.t !== 'int' || s.v.v < min) return bad(`${what} must be an int ≥ ${min}, got ${repr(s.v)}`, s.span);
  return s.v.v;
}

function str(s: Setting, what: string, hint?: string): string {
  if (s.v.t !== 'str') return bad(`${what} must be a string, got ${typeName(s.v)} ${repr(s.v)}`, s.span, hint);
  return s.v.v;
}

/**
 * Checks settings and builds the spec. `settings` are the section's (with flags already laid
 * over them); `fromFlags` names the settings that came from the command line.
 */
export function searchSpec(
  name: string,
  settings: ReadonlyMap<string, Setting>,
  at: Span | undefined,
  fromFlags: ReadonlySet<string> = new Set(),
): { spec?: SearchSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const get = (k: string) => settings.get(k);
  try {
    for (const [k, s] of settings)
      if (!(SEARCH_SETTINGS as readonly string[]).includes(k)) {
        const dym = didYouMean(k, SEARCH_SETTINGS);
        diagnostics.push(
          diag('MDL3001', `a search section has no setting \`${k}\``, s.span, {
            hint: `${dym ? dym + ' ' : ''}settings: ${SEARCH_SETTINGS.join(', ')}`,
          }),
        );
      }
    let space: string | undefined;
    const c = get('candidates');
    if (c) {
      if (c.v.t === 'def' && c.v.def.kind === 'space') space = c.v.def.name;
      else if (c.v.t === 'str' && fromFlags.has('candidates')) space = c.v.v;
      else
        bad(
          `\`candidates\` names a space section, got ${typeName(c.v)} ${repr(c.v)}`,
          c.span,
          'e.g. candidates = cifar10',
        );
    }
    const goals: Goal[] = [];
    for (const [key, sign] of [
      ['maximize', 1],
      ['minimize', -1],
    ] as const) {
      const s = get(key);
      if (!s) continue;
      for (const item of list(s.v)) {
        const n = objective(item, s.span, `\`${key}\``);
        if (goals.some((g) => g.name === n)) bad(`\`${n}\` is an objective twice`, s.span);
        goals.push({ name: n, sign });
      }
    }
    if (goals.length === 0)
      bad(
        `search \`${name}\` has no objective`,
        at,
        'add `maximize = [accuracy]` (with `truth = "TABLE.csv"`), `maximize = [zico]`, `minimize = [latency]`, …',
      );
    const limits: Limit[] = [];
    const cs = get('constraints');
    if (cs)
      for (const item of list(cs.v)) {
        if (item.t !== 'config' || !isObjectiveName(item.kind))
          bad(
            `a constraint is an objective with bounds, as \`macs(max=100e6)\`, got ${repr(item)}`,
            cs.span,
            objectiveHint(),
          );
        const bounds: { min?: number; max?: number } = {};
        for (const [k, x] of item.args) {
          if (k !== 'min' && k !== 'max')
            throw new SpecError(
              diag('MDL3001', `a constraint has no argument \`${k}\``, item.span, { hint: 'its arguments: min, max' }),
            );
          if (x.t !== 'int' && x.t !== 'float') bad(`${item.kind}(${k}=…) must be a number, got ${repr(x)}`, item.span);
          bounds[k] = x.v;
        }
        if (bounds.min === undefined && bounds.max === undefined)
          bad(
            `the constraint ${item.kind}() has no bound`,
            item.span,
            `e.g. ${item.kind}(max=…) or ${item.kind}(min=…)`,
          );
        limits.push({ name: item.kind, ...bounds });
      }
    const alg = get('algorithm');
    const algV: V = alg?.v ?? { t: 'builtin', name: 'evolution', fn: () => ({ t: 'none' }) };
    const algName = algV.t === 'config' ? algV.kind : algV.t === 'builtin' ? algV.name : undefined;
    const def = algName === undefined ? undefined : algorithmNamed(algName);
    if (!def)
      bad(
        `\`algorithm\` must be one of ${ALGORITHM_NAMES.map((a) => `${a}(…)`).join(', ')}, got ${repr(algV)}`,
        alg?.span,
      );
    const span = alg?.span ?? at;
    const bound = bindArgs(def.name, def.args, algV.t === 'config' ? algV.args : new Map(), span);
    const algorithm = def.spec(bound, span, goals, limits);
    const truthS = get('truth');
    const truth: TruthSpec | undefined = truthS
      ? {
          path: str(truthS, '`truth`', 'the path of a CSV table of candidate names and true accuracies'),
          base: fromFlags.has('truth') ? 'cwd' : 'file',
          ...(get('key') ? { key: str(get('key')!, '`key`') } : {}),
          ...(get('truth_column') ? { column: str(get('truth_column')!, '`truth_column`') } : {}),
        }
      : undefined;
    if (!truth && [...goals, ...limits].some((g) => OBJECTIVES[g.name].source === 'truth'))
      bad(
        `search \`${name}\` uses \`accuracy\` but names no truth table`,
        at,
        'add `truth = "TABLE.csv"` (candidate names and accuracies), or give --truth TABLE',
      );
    const spec: SearchSpec = {
      name,
      ...(space !== undefined ? { space } : {}),
      algorithm,
      goals,
      limits,
      seed: get('seed') ? int(get('seed')!, '`seed`', 0) : 0,
      ...(truth ? { truth } : {}),
      data: {
        name: get('data') ? str(get('data')!, '`data`', 'e.g. data = "mnist", "fashion-mnist" or a folder') : 'mnist',
        batch: get('data_batch') ? int(get('data_batch')!, '`data_batch`', 2) : 64,
        seed: get('data_seed') ? int(get('data_seed')!, '`data_seed`', 0) : 0,
      },
      batch: get('batch') ? int(get('batch')!, '`batch`', 1) : 1,
    };
    return diagnostics.length ? { diagnostics } : { spec, diagnostics };
  } catch (e) {
    if (e instanceof SpecError) return { diagnostics: [...diagnostics, e.d] };
    if (e instanceof MdlError) return { diagnostics: [...diagnostics, e.diagnostic] };
    throw e;
  }
}

/** A search section's settings, as the elaborator evaluated them. */
export function sectionSettings(section: SettingsSection): Map<string, Setting> {
  return new Map([...section.settings].map(([k, s]) => [k, { v: s.v, span: s.span }]));
}
