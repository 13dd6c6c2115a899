// The proxies' runs of their own: each distinct run once, each proxy sees its own run's value.
import type { CustomRun } from '../../../space/data-proxies/needs.js';
import type { Run } from './run.js';

export const customRun: Run = {
  async measure(c, asked) {
    const values = new Map<CustomRun, number>();
    for (const a of asked)
      if (a.custom && !values.has(a.custom))
        values.set(a.custom, await a.custom({ graph: c.graph, backend: c.backend, params: c.params }));
    return (needs) => (needs.custom ? { custom: values.get(needs.custom)! } : {});
  },
};
