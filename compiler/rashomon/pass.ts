// The inference-dropout pass: a pure IR → IR rewrite that puts an `inference_dropout` node after
// the output of each selected layer (compiler/ops/internal/inference_dropout.ts), so the planner
// fuses the noise into the epilogue of the layer's kernel. The graph gains two inputs that say,
// row by row, which sampled model and which data sample the row is and at what rate it is
// perturbed: `rashomon_keys: i32[B, 3]` (seed, model, sample) and `rashomon_rates: f32[B, 2]`
// (rate, scale). A run then evaluates many sampled models at once, one per group of rows: the
// model index is a batch dimension. With every rate 0 the graph computes the base model exactly.
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatShape, sameDim } from '../ir/shape.js';
import type { Graph, ValueId } from '../ir/types.js';
import type { NoiseKind } from '../ops/internal/inference_dropout.js';
import { rebuild } from '../rewrites/rebuild.js';
import { DEFAULT_LAYERS, formatSelector, selectLayers, type LayerSelector } from './select.js';

export const KEYS_INPUT = 'rashomon_keys';
export const RATES_INPUT = 'rashomon_rates';

export interface NoisedGraph {
  readonly graph: Graph;
  /** The perturbed layers, in graph order. */
  readonly layers: readonly string[];
  /** The image input (the model's own, first input). */
  readonly input: string;
}

/**
 * Inserts the noise after every layer `select` picks (by default every conv2d and linear
 * layer); diagnostics instead when it picks none or a layer whose output does not keep the
 * batch as its first dimension (its rows could not be keyed by model and sample).
 */
export function inferenceDropout(
  g: Graph,
  kind: NoiseKind,
  select: LayerSelector = DEFAULT_LAYERS,
): { noised?: NoisedGraph; diagnostics: Diagnostic[] } {
  const first = g.inputs[0];
  const inDef = first === undefined ? undefined : g.values[first]!.def;
  if (first === undefined || inDef?.kind !== 'input')
    return { diagnostics: [diag('MDL8502', `${g.name} has no input to explore over`)] };
  const batch = g.values[first]!.type.shape[0];
  const chosen = selectLayers(g, select);
  if (chosen.length === 0)
    return {
      diagnostics: [
        diag('MDL8501', `layers ${formatSelector(select)} select no layer with parameters of ${g.name}`, undefined, {
          hint: `its layers: ${[...new Set(selectLayers(g, { kind: 'glob', pattern: '**' }).map((n) => n.name))].slice(0, 12).join(', ')}`,
        }),
      ],
    };
  const diagnostics: Diagnostic[] = [];
  for (const n of chosen) {
    const shape = g.values[n.outputs[0]!]!.type.shape;
    if (n.outputs.length !== 1 || batch === undefined || shape.length === 0 || !sameDim(shape[0]!, batch))
      diagnostics.push(
        diag(
          'MDL8502',
          `layer \`${n.name}\` outputs ${formatShape(shape)}, whose first dimension is not the batch of input ${formatShape(g.values[first]!.type.shape)}`,
          n.span,
          { hint: 'the noise is keyed per sample; select layers whose outputs keep the batch first' },
        ),
      );
  }
  if (diagnostics.length) return { diagnostics };
  const names = new Set(chosen.map((n) => n.name));
  let keys: ValueId | undefined;
  let rates: ValueId | undefined;
  const graph = rebuild(g, g.name, (n, outs, r) => {
    if (!names.has(n.name)) return undefined;
    keys ??= r.ed.addInput(KEYS_INPUT, { shape: [batch!, 3], dtype: 'i32' });
    rates ??= r.ed.addInput(RATES_INPUT, { shape: [batch!, 2], dtype: 'f32' });
    r.b.tag = 'rashomon';
    return [r.b.op1('inference_dropout', [outs[0]!, keys, rates], { kind, key: n.name })];
  });
  return { noised: { graph, layers: chosen.map((n) => n.name), input: inDef.name }, diagnostics: [] };
}
