import { formatShape, isSym } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { allocLike, ints, num, props } from './helpers.js';
import { size, stridesOf } from '../reference/tensor.js';

/**
 * Constant padding, as torch.nn.functional.pad: `pads` holds (left, right) pairs starting from
 * the last dim and going backwards, so [1, 1, 2, 2] pads W by 1 and H by 2. Negative pads crop,
 * as long as every dim stays positive. FLOPs 0 (a copy).
 */
export const pad: OpDef = {
  name: 'pad',
  kind: 'layout',
  props: props('homogeneous'),
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
  eval([x], a, ctx) {
    const pads = ints(a, 'pads');
    const y = allocLike(x!, ctx.outputs[0]!, ctx);
    y.data.fill(num(a, 'value'));
    const r = x!.shape.length;
    const left = x!.shape.map((_, i) => (r - 1 - i < pads.length / 2 ? pads[2 * (r - 1 - i)]! : 0));
    const ys = stridesOf(y.shape);
    const idx = new Array<number>(r).fill(0);
    for (let k = 0; k < size(x!.shape); k++) {
      let off = 0;
      let inside = true;
      for (let i = 0; i < r; i++) {
        const p = idx[i]! + left[i]!;
        if (p < 0 || p >= y.shape[i]!) inside = false;
        off += p * ys[i]!;
      }
      if (inside) y.data[off] = x!.data[k]!;
      for (let i = r - 1; i >= 0; i--) {
        if (++idx[i]! < x!.shape[i]!) break;
        idx[i] = 0;
      }
    }
    return [y];
  },
  // Padding and cropping are adjoint: the cotangent is the output's, padded by the negated pads.
  vjp: (b, n, [g], needs) => [
    needs[0] && g ? b.op1('pad', [g], { pads: ints(n.attrs, 'pads').map((p) => -p), value: 0 }) : null,
  ],
  jvp: (b, n, [t]) => [t ? b.op1('pad', [t], { pads: ints(n.attrs, 'pads'), value: 0 }) : null],
};
