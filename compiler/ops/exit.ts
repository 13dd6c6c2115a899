import type { OpDef } from './types.js';
import { map1 } from '../reference/kernels.js';
import { props, unary } from './helpers.js';

/**
 * An early exit of an anytime network: the identity on its logits, marking them as one answer
 * the network can stop at. Each exit ends one family of sub-networks (compiler/anytime/); the
 * model's own output is its last exit. No FLOPs.
 */
export const exit: OpDef = unary(
  'exit',
  'layout',
  'Marks an early exit of an anytime network (the identity on its logits).',
  0,
  props('zero-preserving', 'channel-transparent', 'homogeneous'),
  {
    eval: ([x], _a, ctx) => [map1(x!, ctx.alloc(x!.shape), (v) => v)],
    vjp: (_b, _n, [g], needs) => [needs[0] ? g! : null],
    jvp: (_b, _n, [t]) => [t ?? null],
  },
);
