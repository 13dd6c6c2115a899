// The registry of backward strategies. Each is defined once, in its own file (define.ts says
// what a definition holds); this table is the only list of them. A strategy is added by its
// file and one line here: rule parsing, the train-section vocabulary, rule resolution, the
// forward rewrites, the VJP replacement and the scheduling of saved projections all read it.
import type { StrategyDef } from './define.js';
import { exact } from './exact.js';
import { gradFilter } from './grad_filter.js';
import { lbpWht } from './lbp_wht.js';
import { lora } from './lora.js';
import { ntkLinear } from './ntk_linear.js';

/** By the name rules call them; the order is the order messages list them in. */
const DEFINITIONS = { exact, grad_filter: gradFilter, lbp_wht: lbpWht, lora, ntk_linear: ntkLinear };

type SpecOfDef<D> = D extends StrategyDef<infer S> ? S : never;

/** A checked strategy of some `backward` rule. */
export type StrategySpec = SpecOfDef<(typeof DEFINITIONS)[keyof typeof DEFINITIONS]>;

export type StrategyKind = StrategySpec['kind'];

/**
 * Every strategy name maps to the definition of the spec of that name: a definition that lacks
 * a field, or sits under another strategy's name, does not type-check.
 */
export type StrategyRegistry = {
  readonly [K in StrategyKind]: StrategyDef<Extract<StrategySpec, { readonly kind: K }>>;
};

export const STRATEGIES: StrategyRegistry = DEFINITIONS;

export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyKind[];

/** The definitions in registry order, for passes that visit every strategy. */
export const STRATEGY_LIST: readonly StrategyDef<StrategySpec>[] = Object.values(STRATEGIES);

/** The definition of the strategy called `name`, if there is one. */
export function strategyNamed(name: string): StrategyDef<StrategySpec> | undefined {
  return STRATEGY_LIST.find((d) => d.name === name);
}

/** The definition of a spec's strategy. */
export function strategyOf(s: StrategySpec): StrategyDef<StrategySpec> {
  return STRATEGIES[s.kind];
}

/** The ops whose outputs are saved for some strategy's backward (see schedule.ts). */
export const SAVED_OPS: ReadonlySet<string> = new Set(STRATEGY_LIST.flatMap((d) => d.saves ?? []));
