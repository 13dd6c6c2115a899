// The optimizer step as IR ops: appends to a gradient graph one update node per trained
// parameter (sgd_update or adam_update), so a whole training step — forward, loss, backward,
// update — is one graph that later stages lower to kernels like any other. Optimizer state
// (momentum buffers, Adam's moments) is held in buffers named `<param>@<state>`, zero-initialised;
// the learning rate is a scalar input `lr`, so a schedule changes no graph. Adam's bias
// correction counts steps with the run's `step` (0 for the first step).
//
// Outputs added: `param:<name>` (the updated parameter) and `state:<param>@<state>` (the updated
// state). `applyStep` folds a run's results back into the parameter map.
import type { Graph, NodeId, ValueId } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';
import type { Tensor } from '../reference/tensor.js';
import { lookupOp } from '../ops/registry.js';
import { AutodiffError, GraphEditor } from './builder.js';
import type { OptimizerSpec } from '../../runtime/plan/types.js';
import { buildGradient, type GradGraph, type GradOptions } from './grad.js';

export type { OptimizerSpec };

export interface TrainStepOptions extends GradOptions {
  readonly optimizer: OptimizerSpec;
  /**
   * An importance-weighted L2 penalty (λ/2)·Σ Ω ⊙ (θ − θ*)² on the named parameters
   * (Online-LoRA's regulariser on the new adapters). Ω is a buffer `<param>@importance` and θ*
   * a buffer `<param>@anchor` (both zeros until the caller sets them: with θ* = 0 it is the
   * official code's Ω⊙θ², whose fresh adapters are zeros; the caller sets θ* to the fresh
   * adapters it draws). The penalty never enters the loss graph: its gradient λ·Ω⊙(θ − θ*) is
   * added to the parameter's gradient right before the update, elementwise ops the update
   * kernel fuses.
   */
  readonly penalty?: { readonly lambda: number; readonly params: readonly string[] };
}

/** The buffer holding a penalised parameter's importance Ω. */
export const importanceBuffer = (param: string): string => `${param}@importance`;

/** The buffer holding the point θ* a penalised parameter is pulled towards. */
export const anchorBuffer = (param: string): string => `${param}@anchor`;

export interface TrainStep extends GradGraph {
  readonly optimizer: OptimizerSpec;
  /** The scalar learning-rate input. */
  readonly lr: ValueId;
  /** The state buffers of each trained parameter, by parameter name. */
  readonly state: ReadonlyMap<string, readonly string[]>;
  /** Parameter or state name → the output holding its new value. */
  readonly updates: ReadonlyMap<string, string>;
  /** Update node → the forward node that first uses its parameter (for per-layer attribution). */
  readonly updateOrigin: ReadonlyMap<NodeId, NodeId>;
}

/** The names of the state buffers an optimizer keeps per parameter. */
export function optimizerState(o: OptimizerSpec): string[] {
  if (o.kind === 'sgd') return (o.momentum ?? 0) > 0 ? ['momentum_buffer'] : [];
  return ['exp_avg', 'exp_avg_sq'];
}

export function buildTrainStep(g: Graph, opts: TrainStepOptions): TrainStep {
  const gg = buildGradient(g, opts);
  const ed = new GraphEditor(gg.graph);
  const o = opts.optimizer;
  const lr = ed.addInput('lr', { shape: [], dtype: 'f32' });
  const state = new Map<string, string[]>();
  const updates = new Map<string, string>();
  const updateOrigin = new Map<NodeId, NodeId>();
  const firstUse = new Map<ValueId, NodeId>();
  for (const n of g.nodes) for (const v of n.inputs) if (!firstUse.has(v)) firstUse.set(v, n.id);
  const names = optimizerState(o);
  const paramByName = new Map(g.params.map((q) => [q.name, q]));
  const penalised = new Set(opts.penalty?.params ?? []);
  for (const name of penalised)
    if (!gg.grads.has(name)) throw new AutodiffError(`penalty: \`${name}\` is not a trained parameter`);
  for (const [name, g0] of gg.grads) {
    const p = paramByName.get(name)!;
    const grad = penalised.has(name) ? addPenalty(ed, p.value, g0, p.shape, name, opts.penalty!.lambda) : g0;
    const bufs = names.map((s) => `${name}@${s}`);
    const bufIds = bufs.map((b) => ed.addBuffer(b, p.shape, { kind: 'zeros' }));
    state.set(name, bufs);
    let opName: string;
    let inputs: ValueId[];
    let attrs: Record<string, number | boolean>;
    if (o.kind === 'sgd') {
      opName = 'sgd_update';
      // without momentum there is no state; the op still takes a buffer input, a zero constant
      const buf = bufIds[0] ?? addZeros(ed, p.shape);
      inputs = [p.value, grad, buf, lr];
      attrs = {
        momentum: o.momentum ?? 0,
        dampening: o.dampening ?? 0,
        weight_decay: o.weightDecay ?? 0,
        nesterov: o.nesterov ?? false,
      };
      if (attrs['nesterov'] && !((o.momentum ?? 0) > 0 && (o.dampening ?? 0) === 0))
        throw new AutodiffError('sgd: Nesterov momentum requires a momentum and zero dampening');
    } else {
      opName = 'adam_update';
      inputs = [p.value, grad, bufIds[0]!, bufIds[1]!, lr];
      attrs = {
        beta1: o.beta1 ?? 0.9,
        beta2: o.beta2 ?? 0.999,
        eps: o.eps ?? 1e-8,
        weight_decay: o.weightDecay ?? (o.kind === 'adamw' ? 0.01 : 0),
        decoupled: o.kind === 'adamw',
      };
    }
    const op = lookupOp(opName)!;
    const node = ed.addNode(
      opName,
      `optim.${name}`,
      inputs,
      inputs.length,
      op.infer(
        inputs.map((v) => ed.type(v)),
        attrs,
      ),
      attrs,
      undefined,
    );
    const from = firstUse.get(p.value);
    if (from !== undefined) updateOrigin.set(node.id, from);
    ed.outputs.push({ name: `param:${name}`, value: node.outputs[0]! });
    updates.set(name, `param:${name}`);
    bufs.forEach((b, i) => {
      ed.outputs.push({ name: `state:${b}`, value: node.outputs[i + 1]! });
      updates.set(b, `state:${b}`);
    });
  }
  const graph = ed.finish(`${g.name}.train`);
  verifyGraph(graph);
  return { ...gg, graph, optimizer: o, lr, state, updates, updateOrigin };
}

/** grad + λ·Ω⊙(θ − θ*), with Ω the buffer `<param>@importance` and θ* `<param>@anchor`. */
function addPenalty(
  ed: GraphEditor,
  param: ValueId,
  grad: ValueId,
  shape: readonly number[],
  name: string,
  lambda: number,
): ValueId {
  const omega = ed.addBuffer(importanceBuffer(name), shape, { kind: 'zeros' });
  const anchor = ed.addBuffer(anchorBuffer(name), shape, { kind: 'zeros' });
  const binary = (op: string, a: ValueId, b: ValueId) =>
    ed.addNode(op, `optim.${name}.penalty`, [a, b], 2, lookupOp(op)!.infer([ed.type(a), ed.type(b)], {}), {}, undefined)
      .outputs[0]!;
  const c = lookupOp('constant')!;
  const attrs = { value: lambda, shape: [] as number[] };
  const lam = ed.addNode('constant', `optim.${name}.lambda`, [], 0, c.infer([], attrs), attrs, undefined).outputs[0]!;
  return binary('add', grad, binary('mul', binary('mul', omega, binary('sub', param, anchor)), lam));
}

function addZeros(ed: GraphEditor, shape: readonly number[]): ValueId {
  const op = lookupOp('constant')!;
  const attrs = { value: 0, shape: [...shape] };
  return ed.addNode('constant', 'optim.zeros', [], 0, op.infer([], attrs), attrs, undefined).outputs[0]!;
}

/** The parameter map after a step: updated parameters and optimizer state, and the buffers the run wrote. */
export function applyStep(
  step: TrainStep,
  params: ReadonlyMap<string, Tensor>,
  outputs: ReadonlyMap<string, Tensor>,
  buffers: ReadonlyMap<string, Tensor>,
): Map<string, Tensor> {
  const next = new Map(params);
  for (const [name, out] of step.updates) next.set(name, outputs.get(out)!);
  for (const [name, t] of buffers) next.set(name, t);
  return next;
}
