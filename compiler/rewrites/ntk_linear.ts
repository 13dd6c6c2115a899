// NTK linearisation (the training-free regime Fast-NTK builds on): train the first-order Taylor
// model of the network around its current weights θ0,
//     f_lin(x; θ) = f(x; θ0) + J_θ(x; θ0)·(θ − θ0),
// over the parameters of the layers the rules select (Fast-NTK: only the batchnorm affine
// parameters; everything else stays at θ0). The graph is built from the op JVP rules
// (autodiff/jvp.ts): each selected parameter p gets a trainable offset `p.delta` = θ − θ0,
// initialised to zero, which becomes the tangent; the model's own parameters are frozen at θ0.
// So at initialisation f_lin = f exactly, and on a model linear in θ, f_lin = f for every θ.
// `mergeNtk` gives the weights θ0 + δ.
import { buildJvp } from '../autodiff/jvp.js';
import { GraphEditor, RuleBuilder } from '../autodiff/builder.js';
import type { Graph, Node, Param, Value } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';
import type { ForwardRewrite, StrategyDef } from './define.js';

export interface NtkLinearSpec {
  readonly kind: 'ntk_linear';
}

function check(g: Graph, n: Node): string | undefined {
  const trainable = n.inputs.slice(n.dataInputs).some((v) => {
    const d = g.values[v]!.def;
    return d.kind === 'param' && !g.params[d.param]!.buffer && g.params[d.param]!.trainable;
  });
  return trainable ? undefined : 'it has no trainable parameters';
}

/**
 * The model linearised in the parameters of `layers`; `frozen` are the model's own parameters
 * (θ0), `deltas` param → offset.
 */
function linearise(g: Graph, layers: ReadonlyMap<string, unknown>, training: boolean): ForwardRewrite {
  const selected = new Set<string>();
  for (const n of g.nodes) {
    if (!layers.has(n.name)) continue;
    for (const v of n.inputs.slice(n.dataInputs)) {
      const d = g.values[v]!.def;
      if (d.kind !== 'param') continue;
      const p = g.params[d.param]!;
      if (!p.buffer && p.trainable && p.dtype !== 'i32') selected.add(p.name);
    }
  }
  const j = buildJvp(g, { params: selected, training });
  const jg = j.graph;
  const values: Value[] = [...jg.values];
  const params: Param[] = [...jg.params];
  const deltas = new Map<string, string>();
  const tangentValues = new Set<number>();
  for (const [name, tv] of j.tangentInputs) {
    const pid = params.length;
    values[tv] = { id: tv, type: jg.values[tv]!.type, def: { kind: 'param', param: pid } };
    params.push({
      id: pid,
      name: `${name}.delta`,
      shape: jg.values[tv]!.type.shape as number[],
      dtype: 'f32',
      init: { kind: 'zeros' },
      buffer: false,
      trainable: true,
      value: tv,
    });
    deltas.set(name, `${name}.delta`);
    tangentValues.add(tv);
  }
  const ed = new GraphEditor({
    ...jg,
    values,
    params,
    inputs: jg.inputs.filter((v) => !tangentValues.has(v)),
    outputs: [],
  });
  const b = new RuleBuilder(ed, training);
  b.tag = 'ntk';
  for (const o of g.outputs) {
    const t = j.outputTangents.get(o.name);
    const from = jg.values[o.value]!.def;
    b.from = from.kind === 'node' ? jg.nodes[from.node] : undefined;
    ed.outputs.push({ name: o.name, value: t === undefined ? o.value : b.op1('add', [o.value, t]) });
  }
  const graph = ed.finish(`${g.name}.ntk`);
  verifyGraph(graph);
  const frozen = g.params.filter((p) => !p.buffer).map((p) => p.name);
  return { graph, frozen, deltas };
}

export const ntkLinear: StrategyDef<NtkLinearSpec> = {
  name: 'ntk_linear',
  args: [],
  handles: 'ntk_linear linearises the whole model in the parameters of the layers it selects',
  spec: () => ({ kind: 'ntk_linear' }),
  format: () => 'ntk_linear()',
  check,
  forward: (g, layers, opts) => linearise(g, layers, opts.training),
  // Per-layer approximations of the linearised model's backward are not defined.
  exclusive: {
    why: 'linearises the whole model',
    hint: 'use ntk_linear alone (its rules choose the parameters that are trained), or drop it',
  },
};

/** θ = θ0 + δ for every linearised parameter (the offsets are dropped). */
export function mergeNtk(
  params: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  deltas: ReadonlyMap<string, string>,
): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const out = new Map(params);
  for (const [p, d] of deltas) {
    const base = params.get(p)!;
    const off = params.get(d)!;
    out.set(p, { shape: base.shape, data: base.data.map((v, i) => v + off.data[i]!) });
    out.delete(d);
  }
  return out;
}
