// What a backward strategy is: everything the compiler needs of one, declared in the
// strategy's own file and collected in the registry (strategies.ts). The passes — rule
// parsing, rule resolution, the forward rewrites, the VJP replacement, the scheduling of saved
// projections — read these fields and never name a strategy.
import type { AttrValue, Graph, Node } from '../ir/types.js';
import type { ArgSpec, VjpRule } from '../ops/types.js';
import type { Span } from '../source.js';

/** One LoRA-adapted layer: its parameters' names and the scale α/r (for merging). */
export interface LoraAdapter {
  readonly layer: string;
  readonly weight: string;
  readonly bias?: string;
  readonly a: string;
  readonly b: string;
  readonly rank: number;
  readonly scale: number;
}

/** What a forward rewrite gives training: the graph that is trained and what it froze. */
export interface ForwardRewrite {
  readonly graph: Graph;
  /** Parameters that are no longer trained (LoRA's base weights, NTK's θ0). */
  readonly frozen: readonly string[];
  /** LoRA: the adapters, so trained weights can be merged back. */
  readonly adapters?: readonly LoraAdapter[];
  /** NTK: parameter → its trained offset. */
  readonly deltas?: ReadonlyMap<string, string>;
}

/** A strategy call's arguments, bound to its `args` by the ops' binder (elaborate/bind.ts). */
export interface BoundStrategy {
  /** Every declared argument: as given, converted to its type, or its default. */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** The whole `backward` rule: where the spec's own checks are reported. */
  readonly span: Span;
  /** An argument as the user wrote it, for messages. */
  written(name: string): string;
}

/** A backward strategy that rules can choose per layer; `S` is its checked spec. */
export interface StrategyDef<S extends { readonly kind: string }> {
  readonly name: S['kind'];
  /** Keyword arguments, declared as ops declare theirs (types, defaults, accepted strings). */
  readonly args: readonly ArgSpec[];
  /** For hints: what the strategy can handle. */
  readonly handles: string;
  /** The bound arguments → the spec; a value it cannot take is a located error (`fail`). */
  spec(a: BoundStrategy): S;
  /** One line for reports and messages: `grad_filter(patch=2)`. */
  format(s: S): string;
  /** Why it cannot handle this layer, or undefined (checked when rules are resolved). */
  check(g: Graph, n: Node, s: S): string | undefined;
  /**
   * Rewrites the forward graph before it is differentiated; `layers` are the layers the rules
   * gave this strategy (name → spec). Absent: the forward graph is left as it is.
   */
  forward?(g: Graph, layers: ReadonlyMap<string, S>, opts: { readonly training: boolean }): ForwardRewrite;
  /** The rule that replaces a selected layer's VJP. Absent: the op's own VJP. */
  vjp?(g: Graph, n: Node, s: S): VjpRule;
  /**
   * Ops of its backward whose outputs are all the backward keeps of a forward value; they are
   * moved into the forward pass (schedule.ts), so the value they read is freed early.
   */
  readonly saves?: readonly string[];
  /**
   * Set when the strategy changes the whole model, so per-layer rewrites of other strategies
   * are not defined next to it: choosing both is an error (MDL3015) saying `why` and `hint`.
   */
  readonly exclusive?: { readonly why: string; readonly hint: string };
}
