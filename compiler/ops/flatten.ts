import { formatShape, isSym } from '../ir/shape.js';
import type { Dim } from '../ir/types.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { axisOf, int, linearJvp, reshapeEval, reshapeVjp, props } from './helpers.js';

/**
 * Merges dims start..end (inclusive; negative axes count from the end) into one, as
 * torch.flatten. The merged dims must be numbers, except that a symbolic dim may be "merged"
 * with dims that are all 1 (a single-dim range is always fine).
 */
export const flatten: OpDef = {
  name: 'flatten',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Merge dims start..end (inclusive) into one.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'start', type: 'int', default: 1 },
    { name: 'end', type: 'int', default: -1 },
  ],
  infer([x], a) {
    const s = x!.shape;
    const start = axisOf(int(a, 'start'), x!, 'flatten');
    const end = axisOf(int(a, 'end'), x!, 'flatten');
    if (start > end)
      opError(
        'MDL3006',
        `flatten: start ${int(a, 'start')} comes after end ${int(a, 'end')} for input ${formatShape(s)}`,
      );
    const range = s.slice(start, end + 1);
    const syms = range.filter(isSym);
    let merged: Dim;
    if (syms.length === 0) merged = (range as number[]).reduce((p, d) => p * d, 1);
    else if (syms.length === 1 && range.every((d) => isSym(d) || d === 1)) merged = syms[0]!;
    else
      opError(
        'MDL4007',
        `flatten: dims ${start}..${end} of input ${formatShape(s)} include the symbolic dimension ${syms[0]}; flattening it with other dims needs numbers`,
        'flatten only numeric dims, e.g. keep the batch dim out of the range with start=1',
      );
    return [{ shape: [...s.slice(0, start), merged, ...s.slice(end + 1)], dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval: reshapeEval,
  vjp: reshapeVjp,
  jvp: linearJvp,
};
