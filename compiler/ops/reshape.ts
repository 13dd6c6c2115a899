import { formatShape, isSym } from '../ir/shape.js';
import type { Dim } from '../ir/types.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import { formatCount, shapeArg, linearJvp, reshapeEval, reshapeVjp, props } from './helpers.js';

/**
 * Reshape to `shape`, as torch.reshape. The target may hold numbers, symbolic dims and at most
 * one -1. Symbolic dims are opaque, so the symbols of input and target must match as a
 * multiset and the numeric products must agree; the -1 takes the numeric quotient — or, when
 * the target lacks exactly one of the input's symbols and the numbers already agree, that
 * symbol (so [B, 28, 28] → [-1, 784] gives [B, 784]).
 */
export const reshape: OpDef = {
  name: 'reshape',
  kind: 'layout',
  props: props('zero-preserving', 'homogeneous'),
  doc: 'Reshape to a target shape (one -1 allowed); element counts must agree.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'shape', type: 'shape' },
  ],
  infer([x], a) {
    const src = x!.shape;
    const tgt = shapeArg(a, 'shape');
    const fail = (why: string): never =>
      opError(
        'MDL4006',
        `reshape: cannot reshape ${formatShape(src)} (${formatCount(src)} elements) to ${formatShape(tgt)} (${formatCount(tgt.filter((d) => d !== -1))}${tgt.includes(-1) ? '·?' : ''} elements): ${why}`,
      );
    let holes = 0;
    for (const d of tgt) {
      if (d === -1) holes++;
      else if (!isSym(d) && (!Number.isInteger(d) || d <= 0))
        opError(
          'MDL3006',
          `reshape: target ${formatShape(tgt)} has the invalid dimension ${d}; dims must be positive, or -1 once`,
        );
    }
    if (holes > 1) opError('MDL3006', `reshape: target ${formatShape(tgt)} has more than one -1`);

    // Symbols: those of the target must all come from the input; the rest go to the -1.
    const left = new Map<string, number>();
    for (const d of src) if (isSym(d)) left.set(d, (left.get(d) ?? 0) + 1);
    for (const d of tgt)
      if (isSym(d)) {
        const n = left.get(d) ?? 0;
        if (n === 0)
          fail(
            `the symbolic dimension ${d} of the target does not appear in the input (symbolic dims can only be moved, not split or merged)`,
          );
        left.set(d, n - 1);
      }
    const leftover = [...left].flatMap(([s, n]) => Array<string>(n).fill(s));

    let pin = 1;
    for (const d of src) if (!isSym(d)) pin *= d;
    let pt = 1;
    for (const d of tgt) if (!isSym(d) && d !== -1) pt *= d;

    let fill: Dim | undefined;
    if (holes === 0) {
      if (leftover.length > 0) fail(`the input's symbolic dimension ${leftover.join(', ')} is missing from the target`);
      if (pin !== pt) fail(`the element counts differ`);
    } else if (leftover.length === 0) {
      if (pin % pt !== 0) fail(`${pin} is not divisible by ${pt}, so -1 has no integer size`);
      fill = pin / pt;
    } else if (leftover.length === 1 && pin === pt) {
      fill = leftover[0]!;
    } else {
      const need = formatCount([...leftover, ...(pin % pt === 0 ? [pin / pt] : [])]);
      fail(
        pin % pt !== 0
          ? `${pin} is not divisible by ${pt}, so -1 has no integer size`
          : `-1 would have to be ${need}, which is not a single dimension; write the symbolic dims out`,
      );
    }
    return [{ shape: tgt.map((d) => (d === -1 ? fill! : d)), dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
  eval: reshapeEval,
  vjp: reshapeVjp,
  jvp: linearJvp,
};
