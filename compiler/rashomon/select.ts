// Which layers an exploration perturbs. By default every convolution and linear layer, the
// logits included, as the official code hooks every nn.Conv2d and nn.Linear; otherwise the
// layers a selector picks, written as `backward` rules select (compiler/rewrites/strategy.ts):
// a name glob ("conv*", "layer4.*": a glob naming a block selects every layer inside it), an op
// (linear), both ((conv2d, "features.*")) or a list of these.
import { fail } from '../diagnostics/diagnostic.js';
import { repr, type V } from '../elaborate/values.js';
import { globToRegExp, matchesLayer } from '../ir/layer-glob.js';
import type { Graph, Node } from '../ir/types.js';
import { layers } from '../rewrites/select.js';
import type { Span } from '../source.js';

export type LayerSelector =
  | { readonly kind: 'glob'; readonly pattern: string }
  | { readonly kind: 'op'; readonly op: string }
  | { readonly kind: 'both'; readonly op: string; readonly pattern: string }
  | { readonly kind: 'any'; readonly items: readonly LayerSelector[] };

/** The official code's choice: the outputs of every convolution and linear layer. */
export const DEFAULT_LAYERS: LayerSelector = {
  kind: 'any',
  items: [
    { kind: 'op', op: 'conv2d' },
    { kind: 'op', op: 'linear' },
  ],
};

/** A selector as written in a section (`layers = …`). */
export function parseSelector(v: V, span: Span, top = true): LayerSelector {
  if (v.t === 'str') return { kind: 'glob', pattern: v.v };
  if (v.t === 'op') return { kind: 'op', op: v.op.name };
  if (v.t === 'tuple' && v.items.length === 2) {
    const [a, b] = v.items as [V, V];
    if (a.t === 'op' && b.t === 'str') return { kind: 'both', op: a.op.name, pattern: b.v };
  }
  if (top && (v.t === 'list' || v.t === 'tuple') && v.items.length > 0)
    return { kind: 'any', items: v.items.map((x) => parseSelector(x, span, false)) };
  return fail(
    'MDL3004',
    `\`layers\` selects layers by a name glob ("conv*"), an op (linear), both ((conv2d, "features.*")) or a list of these; got ${repr(v)}`,
    span,
  );
}

/** A selector from the command line: comma-separated globs, or op names. */
export function selectorOfText(text: string, ops: ReadonlySet<string>): LayerSelector {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s): LayerSelector => (ops.has(s) ? { kind: 'op', op: s } : { kind: 'glob', pattern: s }));
  return items.length === 1 ? items[0]! : { kind: 'any', items };
}

export function formatSelector(s: LayerSelector): string {
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

function matcher(s: LayerSelector): (n: Node) => boolean {
  switch (s.kind) {
    case 'glob': {
      const re = globToRegExp(s.pattern);
      return (n) => matchesLayer(re, n.name);
    }
    case 'op':
      return (n) => n.op === s.op;
    case 'both': {
      const re = globToRegExp(s.pattern);
      return (n) => n.op === s.op && matchesLayer(re, n.name);
    }
    case 'any': {
      const ms = s.items.map(matcher);
      return (n) => ms.some((m) => m(n));
    }
  }
}

/** The layers (nodes with parameters) a selector picks, in graph order. */
export function selectLayers(g: Graph, s: LayerSelector): Node[] {
  return layers(g).filter(matcher(s));
}
