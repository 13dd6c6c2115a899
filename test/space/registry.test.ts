// The proxy registry as types: every proxy name has one entry with every field, and a data
// proxy's reduction reads only what it declared. The `@ts-expect-error` lines are checked by
// `tsc` (the test files are part of the project): each must be an error, or the build fails.
// At run time: the CLI's lists come from the registry, and the data proxies' declarations
// say what the rows record.
import { describe, expect, it } from 'vitest';
import { dataProxy } from '../../compiler/space/data-proxies/needs.js';
import {
  batchesFor,
  batchnormOf,
  getProxy,
  isProxyName,
  PROXIES,
  REGISTRY,
  type ProxyEntry,
  type Registry,
} from '../../compiler/space/proxies.js';

describe('the proxy registry', () => {
  it('rejects, at compile time, an entry missing a field or a name without an entry', () => {
    const entries: Pick<Registry, 'params' | 'zico'> = {
      // @ts-expect-error: `params` has no sign
      params: { doc: 'trainable and frozen parameters', level: 'graph', compute: (c) => c.params },
      // @ts-expect-error: `zico` declares data but no level
      zico: { doc: 'ZiCo', sign: 1, data: REGISTRY.zico.data! },
    };
    // @ts-expect-error: a data proxy must say how its runs treat batchnorm
    const noBatchnorm = dataProxy({ needs: { inputGrads: true }, reduce: (m) => m.inputGrads.length });
    const undeclared = dataProxy({
      needs: { inputGrads: true },
      batchnorm: 'train',
      // @ts-expect-error: a reduction reads only what its proxy needs (here not the weight gradients)
      reduce: (m) => m.weightGrads.length,
    });
    const { params: _, ...withoutParams } = REGISTRY;
    // @ts-expect-error: every proxy name needs an entry
    const missing: Registry = withoutParams;
    // Both at once is not an entry either.
    // @ts-expect-error: a proxy is computed from the graph or measured, not both
    const both: ProxyEntry = { ...REGISTRY.params, data: REGISTRY.zico.data! };
    expect([entries, noBatchnorm, undeclared, missing, both].every((x) => x !== undefined)).toBe(true);
  });

  it('lists every entry once, in the order declared, and knows its names', () => {
    expect(PROXIES.map((p) => p.name)).toEqual(Object.keys(REGISTRY));
    expect(isProxyName('zico')).toBe(true);
    expect(isProxyName('toString')).toBe(false);
    expect(getProxy('params')!.data).toBeUndefined();
    expect(() => getProxy('zico')!.compute(undefined as never)).toThrow(/data-dependent/);
  });

  it('tells how many batches and which batchnorm the named proxies measure with', () => {
    expect(batchesFor(['params'])).toBe(1);
    expect(batchesFor(['grad_norm', 'naswot'])).toBe(1);
    expect(batchesFor(['grad_norm', 'zico'])).toBe(2);
    expect(batchnormOf(['zico', 'naswot'])).toBe('train');
    expect(batchnormOf(['zico', 'synflow'])).toBe('train; synflow: removed');
  });
});
