// An `explore` section: how to explore a trained model's Rashomon set with inference-time
// dropout (Hsu, Li, Hu, Chen, ICLR 2024), with the official code's protocol as the defaults.
//
//   explore fashion {
//     model = lenet5()
//     data = "fashion-mnist"                    # the test split is explored
//     noise = bernoulli(max_rate=0.2, rates=21) # or gaussian(max_rate=0.6, rates=21)
//     models = 100                              # sampled models per rate
//     epsilon_max = 0.04                        # ε grid: linspace(0, epsilon_max, epsilon_steps)
//     epsilon_steps = 11
//     layers = [conv2d, linear]                 # which layer outputs get the noise (the default)
//     seed = 0
//   }
//
// Rates are linspace(0, max_rate, rates), as the code's drp_list; a list (`rates=[0, 0.05]`)
// gives them explicitly. Every mistake is a located diagnostic.
import { diag, MdlError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { ModelRef, SettingsSection } from '../elaborate/elaborate.js';
import { repr, type V } from '../elaborate/values.js';
import type { NoiseKind } from '../ops/internal/inference_dropout.js';
import type { Span } from '../source.js';
import { DEFAULT_LAYERS, parseSelector, type LayerSelector } from './select.js';
import { SpecError, bad, num, posInt } from '../elaborate/spec-errors.js';

export interface NoiseSpec {
  readonly kind: NoiseKind;
  /** Dropout rates (Bernoulli p) or standard deviations (Gaussian α), in order. */
  readonly rates: readonly number[];
}

export interface ExploreSpec {
  readonly name: string;
  readonly model: ModelRef | undefined;
  readonly data: string;
  readonly noise: NoiseSpec;
  /** Sampled models per rate. */
  readonly models: number;
  readonly epsilons: readonly number[];
  readonly layers: LayerSelector;
  readonly seed: number;
}

/** The code's defaults: 21 rates up to 0.2 (Bernoulli) or 0.6 (Gaussian), 100 models per rate, ε ∈ linspace(0, 0.04, 11). */
export const NOISE_DEFAULTS: Readonly<Record<NoiseKind, { readonly maxRate: number; readonly rates: number }>> = {
  bernoulli: { maxRate: 0.2, rates: 21 },
  gaussian: { maxRate: 0.6, rates: 21 },
};
export const DEFAULT_MODELS = 100;
export const DEFAULT_EPSILON_MAX = 0.04;
export const DEFAULT_EPSILON_STEPS = 11;

/** The calls an `explore` section may make: the noise constructors. */
export const EXPLORE_VOCABULARY: readonly string[] = Object.keys(NOISE_DEFAULTS);

const SETTINGS = ['data', 'noise', 'models', 'epsilon_max', 'epsilon_steps', 'layers', 'seed'];

/** numpy.linspace(start, stop, num): start + i·step, the last exactly `stop`. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}

/** Checks the rates of a noise kind: Bernoulli p in [0, 1), Gaussian α ≥ 0, all finite. */
export function rateProblem(kind: NoiseKind, r: number): string | undefined {
  if (!Number.isFinite(r)) return `a rate must be finite, got ${r}`;
  if (kind === 'bernoulli' && !(r >= 0 && r < 1)) return `a Bernoulli dropout rate must be in [0, 1), got ${r}`;
  if (kind === 'gaussian' && !(r >= 0)) return `a Gaussian standard deviation must be ≥ 0, got ${r}`;
  return undefined;
}

function noise(v: V, span: Span): NoiseSpec {
  const kind = v.t === 'config' ? v.kind : v.t === 'builtin' ? v.name : undefined;
  if (kind !== 'bernoulli' && kind !== 'gaussian')
    return bad(
      `\`noise\` must be bernoulli(…) or gaussian(…), got ${repr(v)}`,
      span,
      'e.g. noise = bernoulli(max_rate=0.2, rates=21)',
    );
  const args = v.t === 'config' ? v.args : new Map<string, V>();
  const at = v.t === 'config' ? v.span : span;
  for (const k of args.keys())
    if (k !== 'max_rate' && k !== 'rates') {
      const dym = didYouMean(k, ['max_rate', 'rates']);
      throw new SpecError(
        diag('MDL3001', `${kind}() has no argument \`${k}\``, at, {
          hint: `${dym ? dym + ' ' : ''}its arguments: max_rate, rates`,
        }),
      );
    }
  const d = NOISE_DEFAULTS[kind];
  const given = args.get('rates');
  let rates: number[];
  if (given && (given.t === 'list' || given.t === 'tuple')) {
    if (args.has('max_rate')) bad(`${kind}(): give either a list of rates or max_rate with a count of rates`, at);
    if (given.items.length === 0) bad(`${kind}(): rates is empty`, at);
    rates = given.items.map((x) => num(x, `${kind}(): a rate`, at));
  } else {
    const count = given ? posInt(given, `${kind}(): rates`, at) : d.rates;
    const max = args.has('max_rate') ? num(args.get('max_rate')!, `${kind}(): max_rate`, at) : d.maxRate;
    rates = linspace(0, max, count);
  }
  for (const r of rates) {
    const why = rateProblem(kind, r);
    if (why) bad(`${kind}(): ${why}`, at);
  }
  return { kind, rates };
}

/** Checks an explore section and builds its spec; diagnostics instead when it has mistakes. */
export function exploreSpec(section: SettingsSection): { spec?: ExploreSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const get = (k: string) => section.settings.get(k);
  try {
    for (const [k, { span }] of section.settings)
      if (!SETTINGS.includes(k)) {
        const dym = didYouMean(k, ['model', ...SETTINGS]);
        diagnostics.push(
          diag('MDL3001', `an explore section has no setting \`${k}\``, span, {
            hint: `${dym ? dym + ' ' : ''}settings: model, ${SETTINGS.join(', ')}`,
          }),
        );
      }
    const data = get('data');
    if (data && data.v.t !== 'str')
      bad(
        `\`data\` must be a data set name or a folder, got ${repr(data.v)}`,
        data.span,
        'e.g. data = "mnist", "fashion-mnist" or "path/to/folder"',
      );
    const n = get('noise');
    const epsMax = get('epsilon_max')
      ? num(get('epsilon_max')!.v, '`epsilon_max`', get('epsilon_max')!.span)
      : undefined;
    if (epsMax !== undefined && !(epsMax >= 0 && Number.isFinite(epsMax)))
      bad(`\`epsilon_max\` must be ≥ 0, got ${epsMax}`, get('epsilon_max')!.span);
    const epsSteps = get('epsilon_steps')
      ? posInt(get('epsilon_steps')!.v, '`epsilon_steps`', get('epsilon_steps')!.span)
      : DEFAULT_EPSILON_STEPS;
    let layers = DEFAULT_LAYERS;
    const l = get('layers');
    if (l) layers = parseSelector(l.v, l.span);
    const spec: ExploreSpec = {
      name: section.name,
      model: section.model,
      data: data ? (data.v as { v: string }).v : 'mnist',
      noise: n
        ? noise(n.v, n.span)
        : { kind: 'bernoulli', rates: linspace(0, NOISE_DEFAULTS.bernoulli.maxRate, NOISE_DEFAULTS.bernoulli.rates) },
      models: get('models') ? posInt(get('models')!.v, '`models`', get('models')!.span) : DEFAULT_MODELS,
      epsilons: linspace(0, epsMax ?? DEFAULT_EPSILON_MAX, epsSteps),
      layers,
      seed: get('seed') ? posInt(get('seed')!.v, '`seed`', get('seed')!.span, 0) : 0,
    };
    return diagnostics.length ? { diagnostics } : { spec, diagnostics };
  } catch (e) {
    if (e instanceof SpecError) return { diagnostics: [...diagnostics, e.d] };
    if (e instanceof MdlError) return { diagnostics: [...diagnostics, e.diagnostic] };
    throw e;
  }
}
