// Training cost read off the real gradient graph (compiler/autodiff): the backward MACs and
// FLOPs of every op the VJP rules emitted, attributed to the forward layer whose rule emitted
// them, the optimizer's FLOPs, and the training-memory figure — parameters, gradients, optimizer
// state, and the activations kept for the backward pass, from liveness in the combined graph.
// Nothing is run; everything comes from shapes and each op's cost rule, like `summarize`.
import type { GradGraph } from '../autodiff/grad.js';
import type { OptimizerSpec, TrainStep } from '../autodiff/optimizer.js';
import { optimizerState } from '../autodiff/optimizer.js';
import { concrete, numel } from '../ir/shape.js';
import { DTYPE_BYTES, type ValueId } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';

export interface Flops {
  readonly macs: number;
  readonly flops: number;
}

export interface TrainLayerRow {
  readonly name: string;
  readonly op: string;
  readonly forward: Flops;
  /** The backward ops this layer's VJP rule emitted (the loss's own rule for the loss row). */
  readonly backward: Flops;
  /** The optimizer updates of the parameters this layer owns (first uses). */
  readonly optimizer_flops: number;
  /** Bytes of this layer's outputs that the backward pass reads, so kept from the forward pass. */
  readonly kept_bytes: number;
}

export interface TrainMemory {
  /** Trained and frozen parameters (shared ones once). */
  readonly param_bytes: number;
  /** Batchnorm running statistics and other model buffers (not optimizer state). */
  readonly buffer_bytes: number;
  /** One gradient per differentiated parameter. */
  readonly grad_bytes: number;
  /** Momentum buffers / Adam moments. */
  readonly optimizer_state_bytes: number;
  /** Forward values (inputs included) that the backward pass reads: alive across the forward/backward boundary. */
  readonly activations_kept_bytes: number;
  /** The most non-parameter memory live at once over the whole step, run in graph order, gradients excluded (counted above). */
  readonly activation_peak_bytes: number;
  /** param + buffer + grad + optimizer state + activation peak. */
  readonly total_bytes: number;
}

export interface TrainCost {
  readonly model: string;
  readonly dims: Readonly<Record<string, number>>;
  readonly forward: Flops;
  readonly backward: Flops;
  readonly optimizer_flops: number;
  readonly memory: TrainMemory;
  readonly layers: readonly TrainLayerRow[];
}

export interface TrainCostOptions {
  /**
   * The optimizer, for the state memory when `gg` is a gradient graph without update ops
   * (a TrainStep carries its own). Default none.
   */
  readonly optimizer?: OptimizerSpec;
}

function isTrainStep(gg: GradGraph): gg is TrainStep {
  return 'updates' in gg;
}

/** The training cost of a gradient graph or training step at a binding of its symbolic dims. */
export function trainCost(
  gg: GradGraph,
  bind: Readonly<Record<string, number>>,
  opts: TrainCostOptions = {},
): TrainCost {
  const g = gg.graph;
  const shapeOf = (v: ValueId) => concrete(g.values[v]!.type.shape, bind);
  const bytesOf = (v: ValueId) => numel(shapeOf(v)) * DTYPE_BYTES[g.values[v]!.type.dtype];
  const costOf = (i: number): Flops => {
    const n = g.nodes[i]!;
    const c = lookupOp(n.op)!.cost({
      inputs: n.inputs.slice(0, n.dataInputs).map(shapeOf),
      params: n.inputs.slice(n.dataInputs).map(shapeOf),
      outputs: n.outputs.map(shapeOf),
      attrs: n.attrs,
    });
    return { macs: c.macs, flops: c.flops };
  };
  const step = isTrainStep(gg) ? gg : undefined;
  const updateNodes = new Set(step ? [...step.updateOrigin.keys()] : []);
  if (step) g.nodes.forEach((n) => lookupOp(n.op)!.kind === 'optimizer' && updateNodes.add(n.id));

  // Per-layer rows for the forward nodes (model layers and the loss).
  const rows = g.nodes.slice(0, gg.forwardNodes).map((n, i) => ({
    name: n.name,
    op: n.op,
    forward: costOf(i),
    backward: { macs: 0, flops: 0 },
    optimizer_flops: 0,
    kept_bytes: 0,
  }));
  let bwMacs = 0;
  let bwFlops = 0;
  let optFlops = 0;
  for (let i = gg.forwardNodes; i < g.nodes.length; i++) {
    const c = costOf(i);
    if (updateNodes.has(i)) {
      optFlops += c.flops;
      const o = step?.updateOrigin.get(i);
      if (o !== undefined) rows[o]!.optimizer_flops += c.flops;
      continue;
    }
    bwMacs += c.macs;
    bwFlops += c.flops;
    const o = gg.origin.get(i);
    if (o !== undefined && rows[o])
      rows[o]!.backward = { macs: rows[o]!.backward.macs + c.macs, flops: rows[o]!.backward.flops + c.flops };
  }

  // Liveness over the combined schedule (nodes in graph order).
  const gradOuts = new Set<ValueId>([...gg.grads.values(), ...gg.inputGrads.values()]);
  const lastUse = new Map<ValueId, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  for (const o of g.outputs) if (!gradOuts.has(o.value)) lastUse.set(o.value, Infinity);
  const isParam = (v: ValueId) => g.values[v]!.def.kind === 'param';
  const firstBackward = gg.forwardNodes;
  let kept = 0;
  const keptValues = new Set<ValueId>();
  for (let i = firstBackward; i < g.nodes.length; i++)
    for (const v of g.nodes[i]!.inputs) {
      const d = g.values[v]!.def;
      // graph inputs (the batch, the labels) and forward outputs; not cotangent seeds nor the learning rate
      const forward =
        d.kind === 'input'
          ? !d.name.startsWith('cot:') && d.name !== 'lr'
          : d.kind === 'node' && d.node < firstBackward;
      if (!forward || keptValues.has(v)) continue;
      keptValues.add(v);
      kept += bytesOf(v);
      if (d.kind === 'node') rows[d.node]!.kept_bytes += bytesOf(v);
    }
  let live = 0;
  for (const v of g.inputs) if (lastUse.has(v)) live += bytesOf(v);
  let peak = live;
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (lastUse.has(o) && !gradOuts.has(o) && !updateNodes.has(i)) live += bytesOf(o);
    peak = Math.max(peak, live);
    for (const v of new Set(n.inputs)) if (!isParam(v) && lastUse.get(v) === i && !gradOuts.has(v)) live -= bytesOf(v);
  });

  // Parameters, gradients, optimizer state.
  const optimizerBuffers = new Set(step ? [...step.state.values()].flat() : []);
  let paramBytes = 0;
  let bufferBytes = 0;
  let stateBytes = 0;
  for (const p of g.params) {
    const b = numel(p.shape) * DTYPE_BYTES[p.dtype];
    if (optimizerBuffers.has(p.name)) stateBytes += b;
    else if (p.buffer) bufferBytes += b;
    else paramBytes += b;
  }
  let gradBytes = 0;
  const paramByName = new Map(g.params.map((q) => [q.name, q]));
  for (const name of gg.grads.keys()) {
    const p = paramByName.get(name)!;
    gradBytes += numel(p.shape) * DTYPE_BYTES[p.dtype];
  }
  if (!step && opts.optimizer) stateBytes = optimizerState(opts.optimizer).length * gradBytes;
  const memory: TrainMemory = {
    param_bytes: paramBytes,
    buffer_bytes: bufferBytes,
    grad_bytes: gradBytes,
    optimizer_state_bytes: stateBytes,
    activations_kept_bytes: kept,
    activation_peak_bytes: peak,
    total_bytes: paramBytes + bufferBytes + gradBytes + stateBytes + peak,
  };
  const fw = rows.reduce((s, r) => ({ macs: s.macs + r.forward.macs, flops: s.flops + r.forward.flops }), {
    macs: 0,
    flops: 0,
  });
  return {
    model: g.name,
    dims: { ...bind },
    forward: fw,
    backward: { macs: bwMacs, flops: bwFlops },
    optimizer_flops: optFlops,
    memory,
    layers: rows,
  };
}
