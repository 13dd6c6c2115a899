// Which parameters Fast-NTK linearises the network in: the parameters of the layers a selector
// picks (the selector grammar of backward rules, compiler/rewrites/select.ts; a tensor declared
// with `param(…) as "name"` is a layer of op `param`). The default is the paper's choice: a
// ViT's prompt tokens when the model has some (`param` layers named `prompt…`), otherwise every
// batchnorm's affine parameters γ and β (its choice for CNNs).
import type { Graph } from '../ir/types.js';
import { selectLayers, type LayerSelector } from '../rashomon/select.js';

/** The paper's subset for CNNs. */
export const DEFAULT_SUBSET: LayerSelector = { kind: 'op', op: 'batchnorm2d' };
/** The paper's subset for ViTs with prompts: declared tensors whose name (or a dotted part) begins `prompt`. */
export const PROMPT_SUBSET: LayerSelector = { kind: 'both', op: 'param', pattern: '**prompt*' };

/** Prompt tokens when the model has some, otherwise the batchnorms' affine parameters. */
export function defaultSubset(g: Graph): LayerSelector {
  return parameterSubset(g, PROMPT_SUBSET).length > 0 ? PROMPT_SUBSET : DEFAULT_SUBSET;
}

export interface SubsetEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
}

/** The float parameters (not buffers, not frozen) of the selected layers, in graph order, each once. */
export function parameterSubset(g: Graph, s: LayerSelector): SubsetEntry[] {
  const out: SubsetEntry[] = [];
  const seen = new Set<string>();
  for (const n of selectLayers(g, s))
    for (const v of n.inputs.slice(n.dataInputs)) {
      const d = g.values[v]!.def;
      if (d.kind !== 'param') continue;
      const p = g.params[d.param]!;
      if (p.buffer || !p.trainable || p.dtype !== 'f32' || seen.has(p.name)) continue;
      seen.add(p.name);
      out.push({ name: p.name, shape: p.shape, size: p.shape.reduce((a, x) => a * x, 1) });
    }
  return out;
}
