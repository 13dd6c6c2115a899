// torch.clamp: min(max(x, min), max), either bound optional. With min > max every element is
// max, as in PyTorch (computed as two steps, never with WGSL's clamp, which leaves that case
// open). The derivative is 1 where min ≤ x ≤ max (both ends included, as PyTorch's backward).
import type { Attrs } from '../../ir/types.js';
import { F32_MAX, type Activation, type PointwiseFn } from './fn.js';

const fn: PointwiseFn = {
  name: 'clamp',
  params: [
    { name: 'min', default: -F32_MAX },
    { name: 'max', default: F32_MAX },
  ],
  f: (s, x, [lo, hi]) => s.min(s.max(x, lo!), hi!),
  df: (s, x, [lo, hi]) => s.sel(s.and(s.ge(x, lo!), s.le(x, hi!)), s.lit(1), s.lit(0)),
  d2f: (s) => s.lit(0),
  // max, min; g·f′: two compares, and, select, product
  flops: { f: 2, df: 5, d2f: 1 },
};

/** A bound of `none` is the largest float: no bound. */
const bound = (a: Attrs, k: 'min' | 'max'): number => {
  const v = a[k];
  return typeof v === 'number' ? v : k === 'min' ? -F32_MAX : F32_MAX;
};

export const clamp: Activation = {
  name: 'clamp',
  kind: 'elementwise',
  doc: 'min(max(x, min), max); a bound of none is no bound.',
  args: [
    { name: 'min', type: 'float?', default: null, doc: 'the lower bound (none: no lower bound)' },
    { name: 'max', type: 'float?', default: null, doc: 'the upper bound (none: no upper bound)' },
  ],
  fns: [fn],
  choose: (a) => ({ fn, params: [bound(a, 'min'), bound(a, 'max')] }),
  check: (a) =>
    a['min'] === null && a['max'] === null ? 'give at least one bound: clamp(x, min=…) or clamp(x, max=…)' : undefined,
  props: { zeroPreserving: false, channelTransparent: true, homogeneous: false, commutative: false },
};
