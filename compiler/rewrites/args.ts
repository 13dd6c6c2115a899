// Strategy arguments the binder's types cannot fully check (it knows `int`, not `int ≥ 1`), and
// the token-grid arguments the patch-based strategies share. Each failure is reported at the
// rule, as MDL3004, like the binder's own type errors.
import { fail } from '../diagnostics/diagnostic.js';
import type { ArgSpec } from '../ops/types.js';
import type { BoundStrategy } from './define.js';

/** How a linear layer's tokens form an image: for grad_filter and lbp_wht. */
export const TOKEN_GRID_ARGS: readonly ArgSpec[] = [
  {
    name: 'grid',
    type: 'int2',
    default: null,
    doc: 'the token grid (h, w) of a [B, N, C] input; none: a square √N × √N',
  },
  { name: 'extra_tokens', type: 'int', default: 0, doc: 'leading tokens (a class token) kept exact' },
];

/** An int argument with a lower bound. */
export function intAtLeast(a: BoundStrategy, callee: string, name: string, min: number): number {
  const v = a.attrs[name] as number;
  if (v < min) fail('MDL3004', `${callee}(): ${name} must be an int ≥ ${min}, got ${a.written(name)}`, a.span);
  return v;
}

/** The `grid` argument: a positive (h, w), or undefined for a square grid. */
export function tokenGrid(a: BoundStrategy, callee: string): readonly [number, number] | undefined {
  const g = a.attrs['grid'] as readonly number[] | null;
  if (g === null) return undefined;
  if (!g.every((x) => x > 0))
    fail('MDL3004', `${callee}(): grid must be (h, w), an int, or none, got ${a.written('grid')}`, a.span, {
      hint: 'the token grid of a [B, N, C] input; none: a square √N × √N',
    });
  return [g[0]!, g[1]!];
}
