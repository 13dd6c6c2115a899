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
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { repr, type V } from '../elaborate/values.js';
import type { Span } from '../source.js';

export type StrategySpec =
  | { readonly kind: 'exact' }
  | {
      readonly kind: 'grad_filter';
      readonly patch: number;
      readonly grid?: readonly [number, number];
      readonly extraTokens: number;
    }
  | {
      readonly kind: 'lbp_wht';
      readonly patch: number;
      readonly order: number;
      readonly basis: 'lp_l1' | 'full' | 'dc';
      readonly grid?: readonly [number, number];
      readonly extraTokens: number;
    }
  | { readonly kind: 'lora'; readonly rank: number; readonly alpha: number }
  | { readonly kind: 'ntk_linear' };

export type StrategyKind = StrategySpec['kind'];

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

/** Arguments each strategy takes, with defaults (`none`: derived from the layer). */
const SIGNATURES: Record<StrategyKind, Record<string, V>> = {
  exact: {},
  grad_filter: { patch: { t: 'int', v: 2 }, grid: { t: 'none' }, extra_tokens: { t: 'int', v: 0 } },
  lbp_wht: {
    order: { t: 'int', v: 2 },
    patch: { t: 'int', v: 8 },
    basis: { t: 'str', v: 'lp_l1' },
    grid: { t: 'none' },
    extra_tokens: { t: 'int', v: 0 },
  },
  lora: { rank: { t: 'int', v: 4 }, alpha: { t: 'none' } },
  ntk_linear: {},
};

export const STRATEGY_NAMES = Object.keys(SIGNATURES) as StrategyKind[];

class RuleError extends Error {
  constructor(readonly d: Diagnostic) {
    super(d.message);
  }
}

function bad(message: string, span: Span, hint?: string): never {
  throw new RuleError(diag('MDL3004', message, span, hint ? { hint } : {}));
}

function int(v: V, what: string, span: Span, min: number): number {
  if (v.t !== 'int' || v.v < min) bad(`${what} must be an int ≥ ${min}, got ${repr(v)}`, span);
  return (v as { v: number }).v;
}

function grid(v: V, what: string, span: Span): readonly [number, number] | undefined {
  if (v.t === 'none') return undefined;
  if (v.t === 'int' && v.v > 0) return [v.v, v.v];
  if ((v.t === 'tuple' || v.t === 'list') && v.items.length === 2 && v.items.every((x) => x.t === 'int' && x.v > 0))
    return [(v.items[0] as { v: number }).v, (v.items[1] as { v: number }).v];
  return bad(
    `${what} must be (h, w), an int, or none, got ${repr(v)}`,
    span,
    'the token grid of a [B, N, C] input; none: a square √N × √N',
  );
}

function strategy(v: V, span: Span): StrategySpec {
  const name = v.t === 'config' ? v.kind : v.t === 'builtin' ? v.name : undefined;
  if (name === undefined || !(name in SIGNATURES))
    bad(`a backward strategy must be one of ${STRATEGY_NAMES.map((s) => `${s}(…)`).join(', ')}, got ${repr(v)}`, span);
  const kind = name as StrategyKind;
  const sig = SIGNATURES[kind];
  const args = new Map(Object.entries(sig));
  if (v.t === 'config')
    for (const [k, x] of v.args) {
      if (!(k in sig)) {
        const dym = didYouMean(k, Object.keys(sig));
        throw new RuleError(
          diag('MDL3001', `${kind}() has no argument \`${k}\``, v.span, {
            hint: `${dym ? dym + ' ' : ''}its arguments: ${Object.keys(sig).join(', ') || 'none'}`,
          }),
        );
      }
      args.set(k, x);
    }
  const a = (k: string) => args.get(k)!;
  switch (kind) {
    case 'exact':
    case 'ntk_linear':
      return { kind };
    case 'grad_filter': {
      const g = grid(a('grid'), 'grad_filter(): grid', span);
      return {
        kind,
        patch: int(a('patch'), 'grad_filter(): patch', span, 1),
        ...(g ? { grid: g } : {}),
        extraTokens: int(a('extra_tokens'), 'grad_filter(): extra_tokens', span, 0),
      };
    }
    case 'lbp_wht': {
      const basis = a('basis');
      if (basis.t !== 'str' || !['lp_l1', 'full', 'dc'].includes(basis.v))
        bad(`lbp_wht(): basis must be "lp_l1", "full" or "dc", got ${repr(basis)}`, span);
      const patch = int(a('patch'), 'lbp_wht(): patch', span, 1);
      if ((patch & (patch - 1)) !== 0)
        bad(
          `lbp_wht(): patch must be a power of two (Walsh–Hadamard bases), got ${patch}`,
          span,
          'LBP-WHT uses patch 8',
        );
      const g = grid(a('grid'), 'lbp_wht(): grid', span);
      return {
        kind,
        patch,
        order: int(a('order'), 'lbp_wht(): order', span, 1),
        basis: (basis as { v: 'lp_l1' | 'full' | 'dc' }).v,
        ...(g ? { grid: g } : {}),
        extraTokens: int(a('extra_tokens'), 'lbp_wht(): extra_tokens', span, 0),
      };
    }
    case 'lora': {
      const rank = int(a('rank'), 'lora(): rank', span, 1);
      const al = a('alpha');
      if (al.t !== 'none' && al.t !== 'int' && al.t !== 'float')
        bad(`lora(): alpha must be a number, got ${repr(al)}`, span);
      const alpha = al.t === 'none' ? rank : (al as { v: number }).v;
      return { kind, rank, alpha };
    }
  }
}

function selector(v: V, span: Span, top = true): Selector {
  if (v.t === 'str') return { kind: 'glob', pattern: v.v };
  if (v.t === 'op') return { kind: 'op', op: v.op.name };
  if (v.t === 'tuple' && v.items.length === 2) {
    const [a, b] = v.items as [V, V];
    if (a.t === 'op' && b.t === 'str') return { kind: 'both', op: a.op.name, pattern: b.v };
  }
  if (top && (v.t === 'list' || v.t === 'tuple') && v.items.length > 0)
    return { kind: 'any', items: v.items.map((x) => selector(x, span, false)) };
  return bad(
    `a backward rule selects layers by a name glob ("layer4.*.conv*"), an op (conv2d), both ((conv2d, "layer4.*")) or a list of these; got ${repr(v)}`,
    span,
  );
}

/** Checks one `backward` rule of a train section. */
export function parseRule(r: { readonly selector: V; readonly strategy: V; readonly span: Span }): {
  rule?: BackwardRule;
  diagnostic?: Diagnostic;
} {
  try {
    const sel = selector(r.selector, r.span);
    return {
      rule: {
        selector: sel,
        strategy: strategy(r.strategy, r.span),
        span: r.span,
        text: `${formatSelector(sel)} = ${repr(r.strategy)}`,
      },
    };
  } catch (e) {
    if (e instanceof RuleError) return { diagnostic: e.d };
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
  switch (s.kind) {
    case 'exact':
    case 'ntk_linear':
      return `${s.kind}()`;
    case 'grad_filter':
      return `grad_filter(patch=${s.patch}${s.grid ? `, grid=(${s.grid.join(', ')})` : ''}${s.extraTokens ? `, extra_tokens=${s.extraTokens}` : ''})`;
    case 'lbp_wht':
      return `lbp_wht(order=${s.order}, patch=${s.patch}${s.basis !== 'lp_l1' ? `, basis="${s.basis}"` : ''}${s.grid ? `, grid=(${s.grid.join(', ')})` : ''}${s.extraTokens ? `, extra_tokens=${s.extraTokens}` : ''})`;
    case 'lora':
      return `lora(rank=${s.rank}${s.alpha !== s.rank ? `, alpha=${s.alpha}` : ''})`;
  }
}
