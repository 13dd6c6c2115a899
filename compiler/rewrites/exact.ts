// `exact`: the op's own VJP from the registry. A rule that chooses it undoes an earlier rule for
// the layers it selects (`backward "**" = grad_filter(patch=2)` then `backward "fc" = exact`):
// it has no hooks, so the layers it keeps are left out of the plan.
import type { StrategyDef } from './define.js';

export interface ExactSpec {
  readonly kind: 'exact';
}

export const exact: StrategyDef<ExactSpec> = {
  name: 'exact',
  args: [],
  handles: 'exact handles every differentiable layer',
  spec: () => ({ kind: 'exact' }),
  format: () => 'exact()',
  check: () => undefined,
};
