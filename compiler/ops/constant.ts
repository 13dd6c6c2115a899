import { formatShape, isSym } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { shapeArg, props } from './helpers.js';

/**
 * A tensor filled with `value` (f32), of `shape` (default a scalar); no tensor inputs. The
 * elaborator uses it for scalar operands such as `x * 0.5`. Dims may be symbolic. FLOPs 0.
 */
export const constant: OpDef = {
  name: 'constant',
  kind: 'source',
  props: props(),
  doc: 'A constant f32 tensor (default a scalar).',
  args: [
    { name: 'value', type: 'float' },
    { name: 'shape', type: 'shape', default: [] },
  ],
  infer(_inputs, a) {
    const shape = shapeArg(a, 'shape');
    for (const d of shape)
      if (!isSym(d) && (!Number.isInteger(d) || d <= 0))
        opError(
          'MDL4004',
          `constant: shape ${formatShape(shape)} has the dimension ${d}; dims must be positive integers`,
        );
    return [{ shape, dtype: 'f32' }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval(_inputs, a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    y.data.fill(a['value'] as number);
    return [y];
  },
  vjp: () => [],
  jvp: () => [null],
};
