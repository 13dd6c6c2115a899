import { formatShape, isSym } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { ints } from './helpers.js';

/**
 * Constant padding, as torch.nn.functional.pad: `pads` holds (left, right) pairs starting from
 * the last dim and going backwards, so [1, 1, 2, 2] pads W by 1 and H by 2. Negative pads crop,
 * as long as every dim stays positive. FLOPs 0 (a copy).
 */
export const pad: OpDef = {
  name: 'pad',
  kind: 'layout',
  doc: 'Pad with a constant: (left, right) pairs from the last dim backwards.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'pads', type: 'ints' },
    { name: 'value', type: 'float', default: 0.0 },
  ],
  infer([x], a) {
    const pads = ints(a, 'pads');
    const s = x!.shape;
    if (pads.length % 2 !== 0 || pads.length > 2 * s.length)
      opError(
        'MDL3006',
        `pad: pads [${pads.join(', ')}] must have an even length of at most ${2 * s.length} (two per dim of input ${formatShape(s)})`,
      );
    const shape = [...s];
    for (let k = 0; k < pads.length / 2; k++) {
      const i = s.length - 1 - k;
      const grow = pads[2 * k]! + pads[2 * k + 1]!;
      const d = s[i]!;
      if (grow === 0) continue;
      if (isSym(d))
        opError(
          'MDL4007',
          `pad: dim ${i} of input ${formatShape(s)} is the symbolic dimension ${d}; padding it needs a number`,
        );
      if (d + grow <= 0)
        opError(
          'MDL4004',
          `pad: pads [${pads.join(', ')}] shrink dim ${i} of input ${formatShape(s)} from ${d} to ${d + grow}`,
        );
      shape[i] = d + grow;
    }
    return [{ shape, dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
};
