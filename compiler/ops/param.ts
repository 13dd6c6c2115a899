import { formatShape, isSym } from '../ir/shape.js';
import type { Init } from '../ir/types.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { num, shapeArg, str, props } from './helpers.js';

const INITS = ['zeros', 'ones', 'normal', 'trunc_normal', 'uniform'] as const;

/** The initialiser a `param` declares: normal(0, std), trunc_normal(std, ±2·std), uniform(±std). */
export function paramInit(init: string, std: number): Init {
  switch (init) {
    case 'zeros':
      return { kind: 'zeros' };
    case 'ones':
      return { kind: 'ones' };
    case 'normal':
      return { kind: 'normal', mean: 0, std };
    case 'trunc_normal':
      return { kind: 'trunc_normal', std, a: -2 * std, b: 2 * std };
    case 'uniform':
      return { kind: 'uniform', low: -std, high: std };
    default:
      return opError('MDL3006', `param: init must be one of ${INITS.join(', ')}; got "${init}"`);
  }
}

/**
 * A free-standing trainable tensor (ViT class token, position embedding): no tensor inputs;
 * the output is the parameter itself, named after the node (ParamSpec name ''). The shape must
 * be numbers. FLOPs 0.
 */
export const param: OpDef = {
  name: 'param',
  kind: 'source',
  props: props(),
  doc: 'A trainable tensor of a fixed shape (class tokens, position embeddings).',
  args: [
    { name: 'shape', type: 'shape' },
    { name: 'init', type: 'string', default: 'zeros', oneOf: INITS },
    { name: 'std', type: 'float', default: 0.02, doc: 'scale of normal, trunc_normal and uniform' },
  ],
  infer(_inputs, a) {
    const shape = shapeArg(a, 'shape');
    for (const d of shape) {
      if (isSym(d))
        opError(
          'MDL4007',
          `param: shape ${formatShape(shape)} has the symbolic dimension ${d}; a parameter's shape must be numbers`,
        );
      if (!Number.isInteger(d) || d <= 0)
        opError('MDL4004', `param: shape ${formatShape(shape)} has the dimension ${d}; dims must be positive integers`);
    }
    const init = str(a, 'init');
    const std = num(a, 'std');
    paramInit(init, std);
    if (init !== 'zeros' && init !== 'ones' && !(std > 0))
      opError('MDL3006', `param: std must be positive for ${init}, got ${std}`);
    return [{ shape, dtype: 'f32' }];
  },
  params(_inputs, a) {
    return [{ name: '', shape: shapeArg(a, 'shape') as number[], init: paramInit(str(a, 'init'), num(a, 'std')) }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  // The node's output is its parameter (its only input).
  eval([p], _a, ctx) {
    const y = ctx.alloc(p!.shape);
    y.data.set(p!.data);
    return [y];
  },
  vjp: (_b, _n, [g], needs) => [needs[0] ? g! : null],
  jvp: (_b, _n, [t]) => [t ?? null],
};
