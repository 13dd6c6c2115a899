// The backward strategies a `train` section can choose per layer, as checked specs, and the
// layer selectors of `backward SELECTOR = STRATEGY` rules:
//
//   backward "layer4.*.conv*"            = grad_filter(patch=2)      // a name glob
//   backward linear                      = lbp_wht(order=4)          // every layer of an op
//   backward (conv2d, "features.1*")     = grad_filter(patch=4)      // an op within a glob
//   backward ["blocks.*.attn.qkv", "head"] = lora(rank=8)            // a union
//
// A rule's strategy replaces how the selected layers' gradients are computed; later rules
// override earlier ones for the same layer. Every mistake is a located diagnostic.
import { fail, MdlError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { bindOpCall, type ArgValue } from '../elaborate/bind.js';
import { repr, type V } from '../elaborate/values.js';
import type { Span } from '../source.js';
import { STRATEGY_NAMES, strategyNamed, strategyOf, type StrategySpec } from './strategies.js';

export type { StrategyKind, StrategySpec } from './strategies.js';

export type Selector =
  | { readonly kind: 'glob'; readonly pattern: string }
  | { readonly kind: 'op'; readonly op: string }
  /** An op and a glob together: both must match. */
  | { readonly kind: 'both'; readonly op: string; readonly pattern: string }
  | { readonly kind: 'any'; readonly items: readonly Selector[] };

export interface BackwardRule {
  readonly selector: Selector;
  readonly strategy: StrategySpec;
  readonly span: Span;
  /** The rule as written, for messages. */
  readonly text: string;
}

/** A layer's strategy, and the rule that gave it. */
export interface Assignment {
  readonly strategy: StrategySpec;
  readonly rule: BackwardRule;
}

/** Layer name → the strategy that computes its gradients (layers left exact are absent). */
export type RewritePlan = ReadonlyMap<string, Assignment>;

/**
 * A strategy as written (`lora(rank=8)`, or `lora` alone: its defaults), bound to its declared
 * arguments by the ops' binder; 'poison' when an argument already failed (and was reported).
 */
function strategy(v: V, span: Span): StrategySpec | 'poison' {
  const name = v.t === 'config' ? v.kind : v.t === 'builtin' ? v.name : undefined;
  const def = name === undefined ? undefined : strategyNamed(name);
  if (!def)
    return fail(
      'MDL3004',
      `a backward strategy must be one of ${STRATEGY_NAMES.map((s) => `${s}(…)`).join(', ')}, got ${repr(v)}`,
      span,
    );
  // A setting constructor keeps its keyword arguments without their own spans: report at the call.
  const given = v.t === 'config' ? v.args : new Map<string, V>();
  const call = v.t === 'config' ? v.span : span;
  const keywords = new Map<string, ArgValue>([...given].map(([k, x]) => [k, { v: x, span: call }]));
  const bound = bindOpCall(def, [], keywords, call);
  if (bound === 'poison') return 'poison';
  return def.spec({
    attrs: bound.attrs,
    span,
    written: (k) => {
      const x = given.get(k);
      return x ? repr(x) : JSON.stringify(bound.attrs[k]);
    },
  });
}

/**
 * A layer selector as written in a section: a name glob, an op, both as a tuple, or a list of
 * these. `usage` words the error for the setting that takes it (backward rules, `layers`, …).
 */
export function parseSelector(v: V, span: Span, usage: (got: string) => string, top = true): Selector {
  if (v.t === 'str') return { kind: 'glob', pattern: v.v };
  if (v.t === 'op') return { kind: 'op', op: v.op.name };
  if (v.t === 'tuple' && v.items.length === 2) {
    const [a, b] = v.items as [V, V];
    if (a.t === 'op' && b.t === 'str') return { kind: 'both', op: a.op.name, pattern: b.v };
  }
  if (top && (v.t === 'list' || v.t === 'tuple') && v.items.length > 0)
    return { kind: 'any', items: v.items.map((x) => parseSelector(x, span, usage, false)) };
  return fail('MDL3004', usage(repr(v)), span);
}

const ruleUsage = (got: string) =>
  `a backward rule selects layers by a name glob ("layer4.*.conv*"), an op (conv2d), both ((conv2d, "layer4.*")) or a list of these; got ${got}`;

/** Checks one `backward` rule of a train section (neither rule nor diagnostic: poisoned). */
export function parseRule(r: { readonly selector: V; readonly strategy: V; readonly span: Span }): {
  rule?: BackwardRule;
  diagnostic?: Diagnostic;
} {
  try {
    const sel = parseSelector(r.selector, r.span, ruleUsage);
    const s = strategy(r.strategy, r.span);
    if (s === 'poison') return {};
    return { rule: { selector: sel, strategy: s, span: r.span, text: `${formatSelector(sel)} = ${repr(r.strategy)}` } };
  } catch (e) {
    if (e instanceof MdlError) return { diagnostic: e.diagnostic };
    throw e;
  }
}

/** A selector as written: `"layer4.*"`, `conv2d`, `(conv2d, "layer4.*")`, `["a", "b"]`. */
export function formatSelector(s: Selector): string {
  switch (s.kind) {
    case 'glob':
      return JSON.stringify(s.pattern);
    case 'op':
      return s.op;
    case 'both':
      return `(${s.op}, ${JSON.stringify(s.pattern)})`;
    case 'any':
      return `[${s.items.map(formatSelector).join(', ')}]`;
  }
}

/** One line for reports: `grad_filter(patch=2)`. */
export function formatStrategy(s: StrategySpec): string {
  return strategyOf(s).format(s);
}
