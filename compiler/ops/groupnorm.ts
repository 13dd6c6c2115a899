// Group normalisation, as torch.nn.GroupNorm(groups, C): the channels of x [N, C, *] are split
// into `groups` groups, each sample's group normalised over its channels and positions (biased
// variance), then an affine map per channel (weight ones, bias zeros). A group of a sample is
// one row of layer normalisation over x reshaped to [N, groups, (C/groups)·*], so the
// derivatives are layer normalisation's own ops on that view.
import type { ValueId } from '../ir/types.js';
import type { Tensor } from '../reference/tensor.js';
import { bool, int, known, num, out0, props, requireMinRank } from './helpers.js';
import { layernormRows } from './layernorm.js';
import { opError, type IrBuilder, type OpDef, type ParamSpec } from './types.js';

/** x̂ of every element: layer normalisation of the rows [N·groups, (C/groups)·S] of x's data. */
function normalized(x: Tensor, groups: number, eps: number, each: (i: number, xhat: number) => void): void {
  const n = x.shape[0]!;
  const d = x.data.length / (n * groups);
  layernormRows({ shape: [n * groups, d], data: x.data }, eps, (r, k, xh) => each(r * d + k, xh));
}

/** The view [N, groups, rest] of v, and back. */
function views(b: IrBuilder, x: ValueId, groups: number) {
  const shape = b.shape(x);
  const rest = (shape.slice(1) as number[]).reduce((p, d) => p * d, 1) / groups;
  return {
    rows: (v: ValueId) => b.reshape(v, [shape[0]!, groups, rest]),
    back: (v: ValueId) => b.reshape(v, shape),
    /** A per-channel vector [C] broadcast against x: [C, 1, …]. */
    channel: (v: ValueId) => b.reshape(v, [shape[1]!, ...shape.slice(2).map(() => 1)]),
    /** The axes a per-channel sum runs over: N and the positions. */
    sumAxes: [0, ...shape.slice(2).map((_, i) => i + 2)],
  };
}

export const groupnorm: OpDef = {
  name: 'groupnorm',
  kind: 'normalization',
  props: props('channel-transparent'),
  doc: 'Group normalisation of [N, C, …] over groups of channels, as torch.nn.GroupNorm.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'groups', type: 'int', doc: 'divides the channels' },
    { name: 'eps', type: 'float', default: 1e-5 },
    { name: 'affine', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireMinRank(x!, 2, 'groupnorm', '[N, C, …]');
    const c = known(x!.shape[1]!, 'the channel dimension', x!.shape, 'groupnorm');
    x!.shape.slice(2).forEach((d) => known(d, 'a spatial dimension', x!.shape, 'groupnorm'));
    const groups = int(a, 'groups');
    if (groups <= 0) opError('MDL3006', `groupnorm: groups must be positive, got ${groups}`);
    if (c % groups !== 0)
      opError('MDL4005', `groupnorm: ${c} channels cannot be split into ${groups} groups`, 'groups must divide C');
    if (!(num(a, 'eps') > 0)) opError('MDL3006', `groupnorm: eps must be positive, got ${num(a, 'eps')}`);
    return [x!];
  },
  params([x], a) {
    const c = x!.shape[1] as number;
    const ps: ParamSpec[] = [];
    if (bool(a, 'affine'))
      ps.push(
        { name: 'weight', shape: [c], init: { kind: 'ones' } },
        { name: 'bias', shape: [c], init: { kind: 'zeros' } },
      );
    return ps;
  },
  // as layernorm: 8 per element
  cost: (c) => ({ macs: 0, flops: 8 * out0(c) }),
  eval([x, w, bias], a, ctx) {
    const y = ctx.alloc(x!.shape);
    const [, c] = x!.shape as [number, number];
    const s = x!.data.length / (x!.shape[0]! * c);
    normalized(x!, int(a, 'groups'), num(a, 'eps'), (i, xh) => {
      const ch = Math.floor(i / s) % c;
      y.data[i] = w ? xh * w.data[ch]! + bias!.data[ch]! : xh;
    });
    return [y];
  },
  // y = w ⊙ x̂ + b, x̂ the rows of layer normalisation: the VJP applies its symmetric row
  // Jacobian (layernorm_grad_input) to w ⊙ g on the view; dw = Σ g ⊙ x̂, db = Σ g over N and
  // the positions.
  vjp(b, n, [g], needs) {
    if (!g) return n.inputs.map(() => null);
    const [x, w] = n.inputs as [ValueId, ValueId | undefined];
    const eps = num(n.attrs, 'eps');
    const v = views(b, x, int(n.attrs, 'groups'));
    const out: (ValueId | null)[] = n.inputs.map(() => null);
    if (needs[0]) {
      const gw = w !== undefined ? b.op1('mul', [g, v.channel(w)]) : g;
      out[0] = v.back(b.op1('layernorm_grad_input', [v.rows(gw), v.rows(x)], { eps }));
    }
    if (w !== undefined && needs[1]) {
      const xhat = v.back(b.op1('layernorm_normalize', [v.rows(x)], { eps }));
      out[1] = b.op1('sum', [b.op1('mul', [g, xhat])], { axes: v.sumAxes });
    }
    if (w !== undefined && needs[2]) out[2] = b.op1('sum', [g], { axes: v.sumAxes });
    return out;
  },
  jvp(b, n, [tx, tw, tb]) {
    const [x, w] = n.inputs as [ValueId, ValueId | undefined];
    const eps = num(n.attrs, 'eps');
    const v = views(b, x, int(n.attrs, 'groups'));
    let t: ValueId | null = null;
    if (tx) {
      const d = v.back(b.op1('layernorm_grad_input', [v.rows(tx), v.rows(x)], { eps }));
      t = w !== undefined ? b.op1('mul', [d, v.channel(w)]) : d;
    }
    if (tw) t = b.add(t, b.op1('mul', [v.back(b.op1('layernorm_normalize', [v.rows(x)], { eps })), v.channel(tw)]));
    if (tb) t = b.add(t, b.expandTo(v.channel(tb), b.shape(n.outputs[0]!)));
    return [t];
  },
};
