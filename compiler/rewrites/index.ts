// The backward-rewrite pipeline, between elaboration and autodiff:
//   resolveRules (select.ts)       rules × graph → plan (layer → strategy), or diagnostics
//   addAdapters (lora.ts)          forward graph → graph with LoRA adapters, base weights frozen
//   linearise (ntk_linear.ts)      forward graph → its linearisation around θ0
//   vjpRules                       the replacement VJPs of grad_filter / lbp_wht layers
//   hoistSaves (schedule.ts)       their input projections moved into the forward pass
// then `buildGradient` / `buildTrainStep` with `rules` and the extra frozen parameters. Each
// step is a pure function of its inputs, and every graph it returns passes the IR verifier.
import { buildTrainStep, type TrainStep, type TrainStepOptions } from '../autodiff/optimizer.js';
import type { Graph, NodeId } from '../ir/types.js';
import type { VjpRule } from '../ops/types.js';
import { addAdapters, type LoraAdapter } from './lora.js';
import { linearise } from './ntk_linear.js';
import type { RewritePlan } from './select.js';
import { STRATEGIES, type StrategyDef } from './strategies.js';
import { hoistSaves } from './schedule.js';

export { resolveRules, type RewritePlan } from './select.js';
export { parseRule, formatStrategy, type BackwardRule, type StrategySpec } from './strategy.js';
export { mergeLora, type LoraAdapter } from './lora.js';
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

const uses = (plan: RewritePlan, kind: string) => [...plan.values()].some((a) => a.strategy.kind === kind);

/** Applies a resolved plan to a forward graph (see the file comment). */
export function applyRewrites(g: Graph, plan: RewritePlan, opts: { readonly training?: boolean } = {}): Rewritten {
  let graph = g;
  const frozen: string[] = [];
  let adapters: LoraAdapter[] = [];
  let deltas = new Map<string, string>();
  if (uses(plan, 'lora')) {
    const r = addAdapters(graph, plan);
    graph = r.graph;
    frozen.push(...r.frozen);
    adapters = r.adapters;
  }
  if (uses(plan, 'ntk_linear')) {
    const r = linearise(graph, plan, opts.training ?? true);
    graph = r.graph;
    frozen.push(...r.frozen);
    deltas = r.deltas;
  }
  const rules = new Map<NodeId, VjpRule>();
  for (const n of graph.nodes) {
    const a = plan.get(n.name);
    if (!a) continue;
    const def = STRATEGIES[a.strategy.kind] as StrategyDef;
    if (def.phase === 'vjp') rules.set(n.id, def.vjp!(graph, n, a.strategy));
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
  );
  return { step, rewritten };
}
