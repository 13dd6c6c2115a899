// LoRA-only training (Hu et al.; the Online-LoRA setting): a selected linear layer (or a
// convolution: a rank-r convolution then a 1×1 one) keeps its
// weight frozen and gains a low-rank adapter, y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ with A [r, in]
// initialised as PyTorch initialises a linear weight (kaiming-uniform, a = √5) and B [out, r]
// zero, so at initialisation the model computes exactly what it computed before. Only the
// adapters are trained: the base weight and bias are frozen, so autodiff emits no weight-
// gradient op (and the code generator no kernel and no buffer) for them. `mergeLora` folds the
// adapters into the weights (W + (α/r)·B·A) on request.
import type { Graph, Node, ValueId } from '../ir/types.js';
import { intAtLeast } from './args.js';
import type { ForwardRewrite, LoraAdapter, StrategyDef } from './define.js';
import { rebuild } from './rebuild.js';

export interface LoraSpec {
  readonly kind: 'lora';
  readonly rank: number;
  readonly alpha: number;
}

type Spec = LoraSpec;

function check(g: Graph, n: Node, s: Spec): string | undefined {
  let din: number;
  let dout: number;
  if (n.op === 'linear') {
    const fin = g.values[n.inputs[0]!]!.type.shape;
    din = fin[fin.length - 1] as number;
    dout = g.values[n.outputs[0]!]!.type.shape.at(-1) as number;
  } else if (n.op === 'conv2d') {
    if (n.attrs['groups'] !== 1) return 'grouped and depthwise convolutions have no low-rank adapter here';
    const [kh, kw] = n.attrs['kernel'] as [number, number];
    din = (g.values[n.inputs[0]!]!.type.shape[1] as number) * kh * kw;
    dout = g.values[n.outputs[0]!]!.type.shape[1] as number;
  } else return 'LoRA adapters are defined for linear layers and convolutions';
  if (s.rank >= Math.min(din, dout))
    return `rank ${s.rank} is not below min(in, out) = ${Math.min(din, dout)}: the adapter would not be low-rank`;
  return undefined;
}

/** Adds the adapters of the given layers; returns the graph, what it froze and the adapters. */
function addAdapters(g: Graph, layers: ReadonlyMap<string, Spec>): ForwardRewrite {
  const frozen: string[] = [];
  const adapters: LoraAdapter[] = [];
  const paramName = (v: ValueId) => {
    const d = g.values[v]!.def;
    return d.kind === 'param' ? g.params[d.param]!.name : undefined;
  };
  const graph = rebuild(g, g.name, (n, outs, r) => {
    const s = layers.get(n.name);
    if (!s) return undefined;
    const x = r.map(n.inputs[0]!);
    const scale = s.alpha / s.rank;
    r.b.tag = 'lora';
    let delta: ValueId;
    if (n.op === 'linear') {
      const xs = r.b.shape(x);
      const din = xs[xs.length - 1] as number;
      const dout = r.b.shape(outs[0]!).at(-1) as number;
      const A = r.addParam(`${n.name}.lora_A`, [s.rank, din], { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn: din });
      const B = r.addParam(`${n.name}.lora_B`, [dout, s.rank], { kind: 'zeros' });
      delta = r.b.op1(
        'linear',
        [r.b.op1('linear', [x], { out: s.rank, bias: false }, [A])],
        { out: dout, bias: false },
        [B],
      );
    } else {
      // A convolution's adapter: A is a rank-r convolution with the layer's own geometry, B a
      // 1×1 convolution back to its channels; merged, W[o] += scale·Σ_k B[o, k]·A[k].
      const cin = r.b.shape(x)[1] as number;
      const dout = r.b.shape(outs[0]!)[1] as number;
      const [kh, kw] = n.attrs['kernel'] as [number, number];
      const A = r.addParam(`${n.name}.lora_A`, [s.rank, cin, kh, kw], {
        kind: 'kaiming_uniform',
        a: Math.sqrt(5),
        fanIn: cin * kh * kw,
      });
      const B = r.addParam(`${n.name}.lora_B`, [dout, s.rank, 1, 1], { kind: 'zeros' });
      const a = r.b.op1('conv2d', [x], { ...n.attrs, out: s.rank, bias: false }, [A]);
      delta = r.b.op1('conv2d', [a], { out: dout, kernel: 1, bias: false }, [B]);
    }
    if (scale !== 1) delta = r.b.op1('mul', [delta, r.b.constant(scale)]);
    const weight = paramName(n.inputs[1]!)!;
    const bias = n.inputs.length > 2 ? paramName(n.inputs[2]!) : undefined;
    frozen.push(weight, ...(bias ? [bias] : []));
    adapters.push({
      layer: n.name,
      weight,
      ...(bias ? { bias } : {}),
      a: `${n.name}.lora_A`,
      b: `${n.name}.lora_B`,
      rank: s.rank,
      scale,
    });
    return [r.b.op1('add', [outs[0]!, delta])];
  });
  return { graph, frozen, adapters };
}

export const lora: StrategyDef<LoraSpec> = {
  name: 'lora',
  args: [
    { name: 'rank', type: 'int', default: 4, doc: 'the rank r of the adapters' },
    { name: 'alpha', type: 'float?', default: null, doc: 'the adapters are scaled by α/r; none: α = r' },
  ],
  handles: 'lora adapts linear layers and convolutions with groups=1',
  spec(a) {
    const rank = intAtLeast(a, 'lora', 'rank', 1);
    const alpha = a.attrs['alpha'] as number | null;
    return { kind: 'lora', rank, alpha: alpha ?? rank };
  },
  format: (s) => `lora(rank=${s.rank}${s.alpha !== s.rank ? `, alpha=${s.alpha}` : ''})`,
  check,
  forward: addAdapters,
};

/** The weights with every adapter merged in: W ← W + scale·B·A (A and B are dropped). */
export function mergeLora(
  params: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  adapters: readonly LoraAdapter[],
): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const out = new Map(params);
  for (const ad of adapters) {
    const W = params.get(ad.weight)!;
    const A = params.get(ad.a)!;
    const B = params.get(ad.b)!;
    // W [out, …], A [r, …] (the same trailing dims), B [out, r] or [out, r, 1, 1].
    const dout = W.shape[0]!;
    const din = W.data.length / dout;
    const merged = Float32Array.from(W.data);
    for (let o = 0; o < dout; o++)
      for (let i = 0; i < din; i++) {
        let s = 0;
        for (let k = 0; k < ad.rank; k++) s += B.data[o * ad.rank + k]! * A.data[k * din + i]!;
        merged[o * din + i]! += ad.scale * s;
      }
    out.set(ad.weight, { shape: W.shape, data: merged });
    out.delete(ad.a);
    out.delete(ad.b);
  }
  return out;
}
