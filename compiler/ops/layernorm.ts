import type { OpDef, ParamSpec } from './types.js';
import { opError } from './types.js';
import { bool, known, num, out0, requireMinRank, props } from './helpers.js';
import type { ValueId } from '../ir/types.js';
import { aroundAxis, type Tensor } from '../reference/tensor.js';

/** x̂ = (x − mean) / √(var + eps) over the last dim (biased variance), row by row. */
export function layernormRows(
  x: Tensor,
  eps: number,
  each: (row: number, k: number, xhat: number, inv: number) => void,
): void {
  const [rows, d] = aroundAxis(x.shape, x.shape.length - 1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x.data[r * d + k]!;
    const mean = s / d;
    let q = 0;
    for (let k = 0; k < d; k++) {
      const v = x.data[r * d + k]! - mean;
      q += v * v;
    }
    const inv = 1 / Math.sqrt(q / d + eps);
    for (let k = 0; k < d; k++) each(r, k, (x.data[r * d + k]! - mean) * inv, inv);
  }
}

/**
 * Layer normalisation over the last dimension D, as torch.nn.LayerNorm(D): weight [D] ones and
 * bias [D] zeros when affine.
 *
 * FLOPs: 8 per element — mean (sum), centre (sub), square, variance (sum), normalise (mul by
 * the per-row 1/√(var+eps), whose own cost is amortised), affine scale and shift, plus one for
 * the reductions' divides amortised; the same count is used with affine=false.
 */
export const layernorm: OpDef = {
  name: 'layernorm',
  kind: 'normalization',
  props: props('channel-transparent'),
  doc: 'Layer normalisation over the last dimension.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'float', default: 1e-5 },
    { name: 'affine', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireMinRank(x!, 1, 'layernorm', '[..., D]');
    known(x!.shape[x!.shape.length - 1]!, 'the normalised (last) dimension', x!.shape, 'layernorm');
    const eps = num(a, 'eps');
    if (!(eps > 0)) opError('MDL3006', `layernorm: eps must be positive, got ${eps}`);
    return [x!];
  },
  params([x], a) {
    const d = x!.shape[x!.shape.length - 1] as number;
    const ps: ParamSpec[] = [];
    if (bool(a, 'affine'))
      ps.push(
        { name: 'weight', shape: [d], init: { kind: 'ones' } },
        { name: 'bias', shape: [d], init: { kind: 'zeros' } },
      );
    return ps;
  },
  cost: (c) => ({ macs: 0, flops: 8 * out0(c) }),
  eval([x, w, bias], a, ctx) {
    const y = ctx.alloc(x!.shape);
    const d = x!.shape[x!.shape.length - 1]!;
    layernormRows(x!, num(a, 'eps'), (r, k, xh) => {
      y.data[r * d + k] = w ? xh * w.data[k]! + bias!.data[k]! : xh;
    });
    return [y];
  },
  // y = w ⊙ x̂ + b. The row Jacobian of x̂ is symmetric (layernorm_grad_input), so the VJP
  // applies it to w ⊙ g and the JVP to ẋ (then ⊙ w). dw = Σ g ⊙ x̂, db = Σ g over the leading dims.
  vjp(b, n, [g], needs) {
    if (!g) return n.inputs.map(() => null);
    const [x, w] = n.inputs as [ValueId, ValueId | undefined];
    const eps = num(n.attrs, 'eps');
    const lead = Array.from({ length: b.shape(x).length - 1 }, (_, i) => i);
    const sumLead = (v: ValueId) => (lead.length ? b.op1('sum', [v], { axes: lead }) : v);
    const out: (ValueId | null)[] = n.inputs.map(() => null);
    if (needs[0]) out[0] = b.op1('layernorm_grad_input', [w !== undefined ? b.op1('mul', [g, w]) : g, x], { eps });
    if (w !== undefined && needs[1]) out[1] = sumLead(b.op1('mul', [g, b.op1('layernorm_normalize', [x], { eps })]));
    if (w !== undefined && needs[2]) out[2] = sumLead(g);
    return out;
  },
  jvp(b, n, [tx, tw, tb]) {
    const [x, w] = n.inputs as [ValueId, ValueId | undefined];
    const eps = num(n.attrs, 'eps');
    let t: ValueId | null = null;
    if (tx) {
      const d = b.op1('layernorm_grad_input', [tx, x], { eps });
      t = w !== undefined ? b.op1('mul', [d, w]) : d;
    }
    if (tw) t = b.add(t, b.op1('mul', [b.op1('layernorm_normalize', [x], { eps }), tw]));
    if (tb) t = b.add(t, b.expandTo(tb, b.shape(n.outputs[0]!)));
    return [t];
  },
};
