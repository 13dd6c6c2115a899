// The backward-rewrite pipeline, between elaboration and autodiff:
//   resolveRules (select.ts)       rules × graph → plan (layer → strategy), or diagnostics
//   forward rewrites               each strategy's `forward` hook, in registry order, on the
//                                  layers it was given (lora adds adapters and freezes the base
//                                  weights; ntk_linear builds the linearisation around θ0)
//   replacement VJPs               each strategy's `vjp` hook on its layers (grad_filter, lbp_wht)
//   hoistSaves (schedule.ts)       the ops they save moved into the forward pass
// then `buildGradient` / `buildTrainStep` with `rules` and the extra frozen parameters. Each
// step is a pure function of its inputs, and every graph it returns passes the IR verifier.
import { buildTrainStep, type TrainStep, type TrainStepOptions } from '../autodiff/optimizer.js';
import type { Graph, NodeId } from '../ir/types.js';
import type { VjpRule } from '../ops/types.js';
import type { LoraAdapter } from './define.js';
import type { RewritePlan } from './select.js';
import { SAVED_OPS, STRATEGY_LIST, strategyOf, type StrategySpec } from './strategies.js';
import { hoistSaves } from './schedule.js';

export { resolveRules, type RewritePlan } from './select.js';
export { parseRule, formatStrategy, type BackwardRule, type StrategySpec } from './strategy.js';
export { mergeLora } from './lora.js';
export type { LoraAdapter } from './define.js';
export { mergeNtk } from './ntk_linear.js';

export interface Rewritten {
  /** The forward graph that is trained (with adapters, or linearised); `g` itself when neither. */
  readonly graph: Graph;
  /** Parameters the rewrites freeze (LoRA base weights, NTK's θ0). */
  readonly frozen: readonly string[];
  /** Node of `graph` → the VJP rule that replaces its op's. */
  readonly rules: ReadonlyMap<NodeId, VjpRule>;
  readonly adapters: readonly LoraAdapter[];
  /** NTK: parameter → its trained offset. */
  readonly deltas: ReadonlyMap<string, string>;
  readonly plan: RewritePlan;
}

/** Applies a resolved plan to a forward graph (see the file comment). */
export function applyRewrites(g: Graph, plan: RewritePlan, opts: { readonly training?: boolean } = {}): Rewritten {
  let graph = g;
  const frozen: string[] = [];
  const adapters: LoraAdapter[] = [];
  const deltas = new Map<string, string>();
  for (const def of STRATEGY_LIST) {
    if (!def.forward) continue;
    const layers = new Map<string, StrategySpec>();
    for (const [layer, a] of plan) if (a.strategy.kind === def.name) layers.set(layer, a.strategy);
    if (layers.size === 0) continue;
    const r = def.forward(graph, layers, { training: opts.training ?? true });
    graph = r.graph;
    frozen.push(...r.frozen);
    adapters.push(...(r.adapters ?? []));
    for (const [p, d] of r.deltas ?? []) deltas.set(p, d);
  }
  const rules = new Map<NodeId, VjpRule>();
  for (const n of graph.nodes) {
    const a = plan.get(n.name);
    if (!a) continue;
    const def = strategyOf(a.strategy);
    if (def.vjp) rules.set(n.id, def.vjp(graph, n, a.strategy));
  }
  return { graph, frozen, rules, adapters, deltas, plan };
}

/** The training step of `g` under a plan: the rewritten graph differentiated with its rules. */
export function rewrittenTrainStep(
  g: Graph,
  plan: RewritePlan,
  opts: TrainStepOptions,
): { step: TrainStep; rewritten: Rewritten } {
  const rewritten = applyRewrites(g, plan, { training: opts.training ?? true });
  const step = hoistSaves(
    buildTrainStep(rewritten.graph, {
      ...opts,
      frozen: [...(opts.frozen ?? []), ...rewritten.frozen],
      rules: rewritten.rules,
    }),
    SAVED_OPS,
  );
  return { step, rewritten };
}
