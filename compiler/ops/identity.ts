import type { OpDef } from './types.js';
import { map1 } from '../reference/kernels.js';
import { props, unary } from './helpers.js';

/** The identity (the NAS-cell `skip_connect`, a placeholder layer); no FLOPs. */
export const identity: OpDef = unary(
  'identity',
  'layout',
  'The identity.',
  0,
  props('zero-preserving', 'channel-transparent', 'homogeneous'),
  {
    eval: ([x], _a, ctx) => [map1(x!, ctx.alloc(x!.shape), (v) => v)],
    vjp: (_b, _n, [g], needs) => [needs[0] ? g! : null],
    jvp: (_b, _n, [t]) => [t ?? null],
  },
);
