// Which layers an exploration perturbs. By default every convolution and linear layer, the
// logits included, as the official code hooks every nn.Conv2d and nn.Linear; otherwise the
// layers a selector picks, written as `backward` rules select (compiler/rewrites/strategy.ts):
// a name glob ("conv*", "layer4.*": a glob naming a block selects every layer inside it), an op
// (linear), both ((conv2d, "features.*")) or a list of these.
import type { V } from '../elaborate/values.js';
import type { Graph, Node } from '../ir/types.js';
import { layers, matcher } from '../rewrites/select.js';
import { formatSelector, parseSelector as parseRuleSelector, type Selector } from '../rewrites/strategy.js';
import type { Span } from '../source.js';

export { formatSelector };

/** The selectors of backward rules, one grammar for every setting that picks layers. */
export type LayerSelector = Selector;

/** The official code's choice: the outputs of every convolution and linear layer. */
export const DEFAULT_LAYERS: LayerSelector = {
  kind: 'any',
  items: [
    { kind: 'op', op: 'conv2d' },
    { kind: 'op', op: 'linear' },
  ],
};

/** A selector as written in a section (`layers = …`). */
export function parseSelector(v: V, span: Span): LayerSelector {
  return parseRuleSelector(
    v,
    span,
    (got) =>
      `\`layers\` selects layers by a name glob ("conv*"), an op (linear), both ((conv2d, "features.*")) or a list of these; got ${got}`,
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

/** The layers (nodes with parameters) a selector picks, in graph order. */
export function selectLayers(g: Graph, s: LayerSelector): Node[] {
  return layers(g).filter(matcher(s));
}
