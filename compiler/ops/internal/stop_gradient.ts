import type { OpDef } from '../types.js';
import { map1 } from '../../reference/kernels.js';
import { props, unary } from '../helpers.js';

/**
 * The identity whose derivative is declared zero (PyTorch's `detach`): in-place distillation
 * trains the smaller sub-networks towards the largest one's soft outputs without pushing the
 * largest one towards them (compiler/anytime/gates.ts). Not the derivative of the function it
 * computes, on purpose; no FLOPs.
 */
export const stop_gradient: OpDef = unary(
  'stop_gradient',
  'layout',
  'The identity, with no gradient flowing back through it.',
  0,
  props('zero-preserving', 'channel-transparent', 'homogeneous'),
  {
    eval: ([x], _a, ctx) => [map1(x!, ctx.alloc(x!.shape), (v) => v)],
    vjp: () => [null],
    jvp: () => [null],
  },
);
