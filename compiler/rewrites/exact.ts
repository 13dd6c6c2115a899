// `exact`: the op's own VJP from the registry. A rule that chooses it undoes an earlier rule for
// the layers it selects (`backward "**" = grad_filter(patch=2)` then `backward "fc" = exact`).
import type { Graph, Node } from '../ir/types.js';

export const handles = 'exact handles every differentiable layer';

export function check(_g: Graph, _n: Node): string | undefined {
  return undefined;
}
