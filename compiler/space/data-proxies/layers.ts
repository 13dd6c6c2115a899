// What the data-dependent proxies look at in a graph: the weights of conv and linear layers
// (the official codes' `nn.Conv2d`/`nn.Linear` `.weight`, never biases or batchnorm), the
// inputs of ReLUs (NASWOT's hooks), batchnorm parameters (which SynFlow removes), and whether
// the network is positively homogeneous in its input (which SynFlow's float32 rescaling needs).
import type { Graph, ValueId } from '../../ir/types.js';
import { lookupOp } from '../../ops/registry.js';

const WEIGHTED = new Set(['conv2d', 'linear']);

/** The weight parameter names of conv2d and linear nodes, in node order (a shared weight once). */
export function layerWeights(g: Graph): string[] {
  const out: string[] = [];
  for (const n of g.nodes) {
    if (!WEIGHTED.has(n.op) || n.inputs.length <= n.dataInputs) continue;
    const d = g.values[n.inputs[n.dataInputs]!]!.def;
    if (d.kind !== 'param') continue;
    const p = g.params[d.param]!;
    if (!p.buffer && p.trainable && !out.includes(p.name)) out.push(p.name);
  }
  return out;
}

export interface LayerOutput {
  /** The conv2d or linear node's output: bias added, before any batchnorm or activation. */
  readonly value: ValueId;
  /** Its weight parameter, and that weight's shape ([out, in/groups, kh, kw] or [out, in]). */
  readonly weight: string;
  readonly weightShape: readonly number[];
}

/** The outputs of the conv2d and linear nodes with a weight parameter, in node order (a shared weight at each use). */
export function layerOutputs(g: Graph): LayerOutput[] {
  const out: LayerOutput[] = [];
  for (const n of g.nodes) {
    if (!WEIGHTED.has(n.op) || n.inputs.length <= n.dataInputs) continue;
    const d = g.values[n.inputs[n.dataInputs]!]!.def;
    if (d.kind !== 'param') continue;
    const p = g.params[d.param]!;
    out.push({ value: n.outputs[0]!, weight: p.name, weightShape: p.shape });
  }
  return out;
}

/** The values ReLU nodes read, each with how many ReLUs read it (NASWOT adds each ReLU's codes). */
export function reluInputs(g: Graph): Map<ValueId, number> {
  const m = new Map<ValueId, number>();
  for (const n of g.nodes) if (n.op === 'relu') m.set(n.inputs[0]!, (m.get(n.inputs[0]!) ?? 0) + 1);
  return m;
}

/** The graph's float input (the image batch) and its per-sample shape; the proxies need exactly one. */
export function imageInput(g: Graph): { name: string; shape: number[] } {
  const floats = g.inputs.filter((v) => g.values[v]!.type.dtype !== 'i32');
  if (floats.length !== 1)
    throw new Error(`${g.name} has ${floats.length} float inputs; the data proxies need exactly one (the image batch)`);
  const v = g.values[floats[0]!]!;
  const shape = v.type.shape.slice(1);
  if (shape.some((d) => typeof d !== 'number'))
    throw new Error(`${g.name}: the input's per-sample shape must be concrete`);
  return { name: v.def.kind === 'input' ? v.def.name : 'x', shape: shape as number[] };
}

/** The number of classes: the last dim of the graph's only output [B, K]. */
export function classesOf(g: Graph): number {
  if (g.outputs.length !== 1)
    throw new Error(`${g.name} has ${g.outputs.length} outputs; the data proxies need one (the logits)`);
  const s = g.values[g.outputs[0]!.value]!.type.shape;
  const k = s[s.length - 1];
  if (s.length !== 2 || typeof k !== 'number') throw new Error(`${g.name}: the output must be logits [B, K]`);
  return k;
}

export interface BatchnormParams {
  readonly weight?: string;
  readonly bias?: string;
  readonly mean: string;
  readonly variance: string;
  readonly eps: number;
}

/** Every batchnorm node's parameters by role. */
export function batchnorms(g: Graph): BatchnormParams[] {
  const out: BatchnormParams[] = [];
  for (const n of g.nodes) {
    if (n.op !== 'batchnorm2d') continue;
    const names = n.inputs.slice(n.dataInputs).map((v) => {
      const d = g.values[v]!.def;
      return d.kind === 'param' ? g.params[d.param]!.name : '';
    });
    const eps = n.attrs['eps'] as number;
    out.push(
      names.length === 4
        ? { weight: names[0]!, bias: names[1]!, mean: names[2]!, variance: names[3]!, eps }
        : { mean: names[0]!, variance: names[1]!, eps },
    );
  }
  return out;
}

/**
 * Whether the network computes exactly s times its output from s times its input (s > 0) once
 * additive parameters are scaled by s and batchnorm is the identity: every op is positively
 * homogeneous (the op property `homogeneous`), as SynFlow's rescaling needs.
 */
export function homogeneous(g: Graph): boolean {
  return g.nodes.every((n) => lookupOp(n.op)!.props.homogeneous);
}

/** Parameters that multiply (conv and linear weights): the rest add, and scale with the input. */
export function multiplicative(g: Graph): Set<string> {
  const s = new Set<string>();
  for (const n of g.nodes)
    if (WEIGHTED.has(n.op) && n.inputs.length > n.dataInputs) {
      const d = g.values[n.inputs[n.dataInputs]!]!.def;
      if (d.kind === 'param') s.add(g.params[d.param]!.name);
    }
  return s;
}
