import type { OpDef } from './types.js';
import { axisOf, int } from './helpers.js';

/** Swap two dims (negative axes count from the end), as torch.transpose. */
export const transpose: OpDef = {
  name: 'transpose',
  kind: 'layout',
  doc: 'Swap two dimensions.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'dim0', type: 'int' },
    { name: 'dim1', type: 'int' },
  ],
  infer([x], a) {
    const i = axisOf(int(a, 'dim0'), x!, 'transpose');
    const j = axisOf(int(a, 'dim1'), x!, 'transpose');
    const s = [...x!.shape];
    [s[i], s[j]] = [s[j]!, s[i]!];
    return [{ shape: s, dtype: x!.dtype }];
  },
  cost: () => ({ macs: 0, flops: 0 }),
};
