import type { OpDef, ParamSpec } from './types.js';
import { opError } from './types.js';
import { bool, known, num, out0, requireMinRank } from './helpers.js';

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
};
