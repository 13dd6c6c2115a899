// The registry of backward strategies: each defines, once, which layers it can handle (checked
// when rules are resolved, so a bad rule is a compile error) and how it rewrites. Two kinds:
// - `vjp` strategies replace the selected layers' VJP rules while the gradient graph is built
//   (grad_filter, lbp_wht);
// - `forward` strategies rewrite the forward graph before it is differentiated (lora adds
//   adapters and freezes the base weights; ntk_linear builds the linearised model).
import type { Graph, Node } from '../ir/types.js';
import type { VjpRule } from '../ops/types.js';
import * as exact from './exact.js';
import * as gradFilter from './grad_filter.js';
import * as lbpWht from './lbp_wht.js';
import * as lora from './lora.js';
import * as ntk from './ntk_linear.js';
import type { StrategyKind, StrategySpec } from './strategy.js';

export interface StrategyDef<S extends StrategySpec = StrategySpec> {
  /** For hints: what the strategy can handle. */
  readonly handles: string;
  readonly phase: 'none' | 'vjp' | 'forward';
  /** Why it cannot handle this layer, or undefined. */
  check(g: Graph, n: Node, s: S): string | undefined;
  /** For `vjp` strategies: the rule that replaces the layer's VJP. */
  vjp?(g: Graph, n: Node, s: S): VjpRule;
}

type Defs = { readonly [K in StrategyKind]: StrategyDef<Extract<StrategySpec, { kind: K }>> };

export const STRATEGIES: Defs = {
  exact: { handles: exact.handles, phase: 'none', check: exact.check },
  grad_filter: { handles: gradFilter.handles, phase: 'vjp', check: gradFilter.check, vjp: gradFilter.vjp },
  lbp_wht: { handles: lbpWht.handles, phase: 'vjp', check: lbpWht.check, vjp: lbpWht.vjp },
  lora: { handles: lora.handles, phase: 'forward', check: lora.check },
  ntk_linear: { handles: ntk.handles, phase: 'forward', check: ntk.check },
};
