// Static cost analysis of an IR graph at a given binding of its symbolic dims: parameters
// (a shared weight counted once), MACs (conv/linear/matmul, fvcore/torchvision convention),
// FLOPs (every op, by each op's documented count), activation bytes and the peak of live
// activations over a forward pass. Nothing is run; everything is read off shapes.
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { LIMITS } from '../diagnostics/limits.js';
import { concrete, numel } from '../ir/shape.js';
import { DTYPE_BYTES, type Graph, type Node, type ValueId } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';

export interface LayerRow {
  readonly name: string;
  readonly op: string;
  readonly kind: string;
  /** The shapes of the layer's data inputs. */
  readonly input_shapes: readonly (readonly number[])[];
  readonly output_shape: readonly number[];
  /** The layer's parameters and buffers by name, with their shapes (as torchinfo lists them). */
  readonly param_shapes: Readonly<Record<string, readonly number[]>>;
  /** Parameters first used by this layer (shared ones are counted at their first use). */
  readonly params: number;
  /** Of those, the ones training updates (not frozen). */
  readonly trainable: number;
  /** `params` as a percentage of the model's parameters. */
  readonly params_percent: number;
  readonly macs: number;
  readonly flops: number;
  readonly activation_bytes: number;
}

export interface Summary {
  readonly model: string;
  readonly dims: Readonly<Record<string, number>>;
  readonly inputs: readonly { name: string; shape: readonly number[]; dtype: string }[];
  readonly outputs: readonly { name: string; shape: readonly number[] }[];
  readonly params: {
    readonly total: number;
    readonly trainable: number;
    readonly non_trainable: number;
    readonly buffers: number;
  };
  readonly param_bytes: number;
  readonly macs: number;
  readonly flops: number;
  /** Sum of every layer's output size: what a training forward pass must keep at most. */
  readonly activation_bytes: number;
  /** The most activation memory live at once in an inference forward pass (inputs included). */
  readonly activation_peak_bytes: number;
  readonly layers: readonly LayerRow[];
}

/** Binds symbolic dims: `batch` sets the first symbol (the batch), `dims` any by name, else 1. */
export function bindDims(
  g: Graph,
  batch?: number,
  dims: Readonly<Record<string, number>> = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  g.symbols.forEach((s, i) => {
    out[s] = dims[s] ?? (i === 0 && batch !== undefined ? batch : 1);
  });
  return out;
}

/** Bytes of a value at the bound dims. */
export function valueBytes(g: Graph, bind: Readonly<Record<string, number>>): (v: ValueId) => number {
  return (v) => numel(concrete(g.values[v]!.type.shape, bind)) * DTYPE_BYTES[g.values[v]!.type.dtype];
}

/** Bytes of a node's outputs, as a layer's activation (a source's constant is not one). */
function layerActivation(n: Node, bytesOf: (v: ValueId) => number): number {
  return lookupOp(n.op)!.kind === 'source' ? 0 : n.outputs.reduce((s, o) => s + bytesOf(o), 0);
}

/**
 * The summary's `activation_bytes` alone: a search's hardware model asks for it of every
 * candidate it compares, and the summary's per-layer table costs several times the sum.
 */
export function activationBytes(g: Graph, bind: Readonly<Record<string, number>>): number {
  const bytesOf = valueBytes(g, bind);
  let act = 0;
  for (const n of g.nodes) act += layerActivation(n, bytesOf);
  return act;
}

export function summarize(g: Graph, bind: Readonly<Record<string, number>>): Summary {
  const shapeOf = (v: ValueId) => concrete(g.values[v]!.type.shape, bind);
  const bytesOf = valueBytes(g, bind);
  const seenParams = new Set<ValueId>();
  const layers: LayerRow[] = [];
  let macs = 0;
  let flops = 0;
  let act = 0;
  for (const n of g.nodes) {
    const op = lookupOp(n.op)!;
    const outputs = n.outputs.map(shapeOf);
    const cost = op.cost({
      inputs: n.inputs.slice(0, n.dataInputs).map(shapeOf),
      params: n.inputs.slice(n.dataInputs).map(shapeOf),
      outputs,
      attrs: n.attrs,
    });
    let params = 0;
    let trainable = 0;
    const paramShapes: Record<string, readonly number[]> = {};
    for (const p of n.inputs.slice(n.dataInputs)) {
      const d = g.values[p]!.def;
      if (d.kind === 'param') paramShapes[g.params[d.param]!.name] = shapeOf(p);
      if (seenParams.has(p)) continue;
      seenParams.add(p);
      if (d.kind === 'param' && !g.params[d.param]!.buffer) {
        params += numel(shapeOf(p));
        if (g.params[d.param]!.trainable) trainable += numel(shapeOf(p));
      }
    }
    const activation = layerActivation(n, bytesOf);
    macs += cost.macs;
    flops += cost.flops;
    act += activation;
    layers.push({
      name: n.name,
      op: n.op,
      kind: op.kind,
      input_shapes: n.inputs.slice(0, n.dataInputs).map(shapeOf),
      output_shape: outputs[0] ?? [],
      param_shapes: paramShapes,
      params,
      trainable,
      params_percent: 0,
      macs: cost.macs,
      flops: cost.flops,
      activation_bytes: activation,
    });
  }
  const trainable = g.params.filter((p) => !p.buffer && p.trainable).reduce((s, p) => s + numel(p.shape), 0);
  const total = g.params.filter((p) => !p.buffer).reduce((s, p) => s + numel(p.shape), 0);
  const withShare = layers.map((l) => ({ ...l, params_percent: total > 0 ? (100 * l.params) / total : 0 }));
  const buffers = g.params.filter((p) => p.buffer).reduce((s, p) => s + numel(p.shape), 0);
  return {
    model: g.name,
    dims: { ...bind },
    inputs: g.inputs.map((id) => {
      const v = g.values[id]!;
      return { name: v.def.kind === 'input' ? v.def.name : String(id), shape: shapeOf(id), dtype: v.type.dtype };
    }),
    outputs: g.outputs.map((o) => ({ name: o.name, shape: shapeOf(o.value) })),
    params: { total, trainable, non_trainable: total - trainable, buffers },
    param_bytes: g.params.reduce((s, p) => s + numel(p.shape) * DTYPE_BYTES[p.dtype], 0),
    macs,
    flops,
    activation_bytes: act,
    activation_peak_bytes: peakLive(g, bytesOf),
    layers: withShare,
  };
}

/**
 * The first count of a report (a summary, a training cost) that is not exact: past 2^53 − 1 a
 * double rounds, and a count printed rounded is a wrong count. Located at the layer it belongs
 * to (matched by name), else about the whole model. Undefined when every count is exact.
 */
export function inexactCount(g: Graph, report: object): Diagnostic | undefined {
  const stack: [unknown, string, string | undefined][] = [[report, '', undefined]];
  while (stack.length > 0) {
    const [x, path, layer] = stack.pop()!;
    if (typeof x === 'number') {
      if (Number.isSafeInteger(x) || (Number.isFinite(x) && !Number.isInteger(x) && Math.abs(x) <= LIMITS.maxInt))
        continue;
      const what = path.replace(/_/g, ' ');
      const node = layer === undefined ? undefined : g.nodes.find((n) => n.name === layer);
      return diag(
        'MDL6009',
        `${layer === undefined ? `the model's ${what}` : `the ${what} of layer \`${layer}\``} would be ${x.toExponential(3)}, beyond 2^53 − 1 where counts stop being exact`,
        node?.span,
        { hint: 'give a smaller --batch or --dim, or smaller layers' },
      );
    }
    if (typeof x !== 'object' || x === null) continue;
    const named = (x as { name?: unknown }).name;
    const row = typeof named === 'string' && 'op' in x;
    const base = row ? '' : path;
    // The layers first: a total is past the limit only if a layer is, or the sum of several.
    const entries = Object.entries(x).sort(([a], [b]) => Number(b === 'layers') - Number(a === 'layers'));
    for (const [k, y] of entries.reverse())
      stack.push([y, Array.isArray(x) ? base : base ? `${base} ${k}` : k, row ? named : layer]);
  }
  return undefined;
}

/** Peak of simultaneously live activations when nodes run in order and die after last use. */
function peakLive(g: Graph, bytesOf: (v: ValueId) => number): number {
  const lastUse = new Map<ValueId, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  for (const o of g.outputs) lastUse.set(o.value, Infinity);
  const isParam = (v: ValueId) => g.values[v]!.def.kind === 'param';
  let live = 0;
  for (const v of g.inputs) live += bytesOf(v);
  let peak = live;
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (lastUse.has(o)) live += bytesOf(o);
    peak = Math.max(peak, live);
    for (const v of new Set(n.inputs)) if (!isParam(v) && lastUse.get(v) === i) live -= bytesOf(v);
  });
  return peak;
}
