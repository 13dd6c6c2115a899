// optional(path, skip): a path an anytime network may leave out. The full network computes
// `path`; a sub-network that drops it computes `skip` instead (typically the path's input, as
// when a residual block is skipped). Each sub-network is the static graph with every optional
// node replaced by one of its inputs (compiler/anytime/specialise.ts); training switches
// between them with gates (compiler/anytime/gates.ts). As an op on its own it is the identity
// on `path`: the gradient goes to the path only. No FLOPs.
import { formatShape, sameShape } from '../ir/shape.js';
import { map1 } from '../reference/kernels.js';
import { props } from './helpers.js';
import { opError, type OpDef } from './types.js';

export const optional: OpDef = {
  name: 'optional',
  kind: 'layout',
  doc: 'A path an anytime network may skip: `path` in the full network, `skip` where it is left out.',
  props: props('zero-preserving', 'channel-transparent', 'homogeneous'),
  args: [
    { name: 'path', type: 'tensor' },
    { name: 'skip', type: 'tensor' },
  ],
  infer: ([p, s]) => {
    if (!sameShape(p!.shape, s!.shape) || p!.dtype !== s!.dtype)
      opError(
        'MDL3016',
        `optional: the path gives ${p!.dtype}${formatShape(p!.shape)} and the skip ${s!.dtype}${formatShape(s!.shape)}; a sub-network must get the same shape either way`,
        'make the skippable path keep its input shape (stride 1, same channels), or skip to a projection of the input',
      );
    return [p!];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval: ([p], _a, ctx) => [map1(p!, ctx.alloc(p!.shape), (v) => v)],
  vjp: (_b, _n, [g], needs) => [needs[0] ? g! : null, null],
  jvp: (_b, _n, [t]) => [t ?? null],
};
