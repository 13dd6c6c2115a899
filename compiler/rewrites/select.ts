// Resolving `backward` rules against a model's graph: which layer gets which strategy. A layer
// is a node with parameters; a glob matches a layer's name or a dotted prefix of it (as `freeze`
// does), an op selector matches every layer of that op. Later rules win. A rule that selects
// nothing, or a layer its strategy cannot handle, is an error: both are almost always mistakes
// that would otherwise silently train with the exact backward.
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { Graph, Node } from '../ir/types.js';
import { globToRegExp, matchesLayer } from '../ir/layer-glob.js';
import { STRATEGY_LIST, strategyOf } from './strategies.js';
import { formatStrategy, type Assignment, type BackwardRule, type RewritePlan, type Selector } from './strategy.js';

export type { Assignment, RewritePlan };

/** The nodes with parameters (buffers alone do not make a layer trainable). */
export function layers(g: Graph): Node[] {
  return g.nodes.filter((n) =>
    n.inputs.slice(n.dataInputs).some((v) => {
      const d = g.values[v]!.def;
      return d.kind === 'param' && !g.params[d.param]!.buffer;
    }),
  );
}

/** Whether a node is picked by a selector (a glob also matches the layers inside a block it names). */
export function matcher(s: Selector): (n: Node) => boolean {
  const byName = (pattern: string) => {
    const re = globToRegExp(pattern);
    return (n: Node) => matchesLayer(re, n.name);
  };
  switch (s.kind) {
    case 'glob':
      return byName(s.pattern);
    case 'op':
      return (n) => n.op === s.op;
    case 'both': {
      const m = byName(s.pattern);
      return (n) => n.op === s.op && m(n);
    }
    case 'any': {
      const ms = s.items.map(matcher);
      return (n) => ms.some((m) => m(n));
    }
  }
}

/** The rules applied to a graph: the plan, or diagnostics. */
export function resolveRules(
  g: Graph,
  rules: readonly BackwardRule[],
): { plan: RewritePlan; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const candidates = layers(g);
  const plan = new Map<string, Assignment>();
  for (const rule of rules) {
    const hits = candidates.filter(matcher(rule.selector));
    if (hits.length === 0) {
      const globs =
        rule.selector.kind === 'glob'
          ? [rule.selector.pattern]
          : rule.selector.kind === 'both'
            ? [rule.selector.pattern]
            : [];
      // Suggest from the layer names and the globs over their dotted prefixes (`block.*`).
      const names = new Set(
        candidates.flatMap((n) =>
          n.name
            .split('.')
            .map((_, i, parts) => (i + 1 < parts.length ? `${parts.slice(0, i + 1).join('.')}.*` : n.name)),
        ),
      );
      const dym = globs.length ? didYouMean(globs[0]!, names) : undefined;
      const ops = [...new Set(candidates.map((n) => n.op))].sort();
      diagnostics.push(
        diag('MDL3013', `backward ${rule.text} matches no layer with parameters`, rule.span, {
          hint:
            dym ??
            (rule.selector.kind === 'op'
              ? `the model's layers with parameters are of ops ${ops.join(', ')}`
              : 'see the layer names with `mdl summary`'),
        }),
      );
      continue;
    }
    const def = strategyOf(rule.strategy);
    for (const n of hits) {
      const why = def.check(g, n, rule.strategy);
      if (why) {
        diagnostics.push(
          diag(
            'MDL3014',
            `${formatStrategy(rule.strategy)} cannot compute the gradients of layer \`${n.name}\` (${n.op}): ${why}`,
            rule.span,
            { hint: def.handles },
          ),
        );
        continue;
      }
      plan.set(n.name, { strategy: rule.strategy, rule });
    }
  }
  // A strategy without hooks rewrites nothing: its layers keep their exact backward.
  for (const [k, a] of plan) {
    const def = strategyOf(a.strategy);
    if (!def.forward && !def.vjp) plan.delete(k);
  }
  // A strategy that changes the whole model cannot be mixed with the others.
  for (const def of STRATEGY_LIST) {
    if (!def.exclusive) continue;
    const it = [...plan.values()].find((a) => a.strategy.kind === def.name);
    const other = [...plan.values()].find((a) => a.strategy.kind !== def.name);
    if (it && other)
      diagnostics.push(
        diag(
          'MDL3015',
          `${def.name} ${def.exclusive.why} and cannot be combined with ${formatStrategy(other.strategy)}`,
          other.rule.span,
          { notes: [{ message: `${def.name} is chosen here`, span: it.rule.span }], hint: def.exclusive.hint },
        ),
      );
  }
  return { plan, diagnostics };
}
