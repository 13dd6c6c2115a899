// Cross-entropy gradients of the conv/linear weights, training mode, one run per batch of a
// single gradient graph: as many batches as the most demanding proxy asks for, and each proxy
// sees the first k it asked for.
import { buildGradient } from '../../../autodiff/grad.js';
import type { LayerGrads } from '../../../space/data-proxies/needs.js';
import { imageInput, layerWeights } from '../../../space/data-proxies/layers.js';
import type { Run } from './run.js';

export const weightGradsRun: Run = {
  async measure(c, asked) {
    const n = Math.max(...asked.map((a) => a.weightGrads ?? 0));
    const g = c.graph;
    const weights = layerWeights(g);
    const gg = buildGradient(g, { loss: { kind: 'cross_entropy' }, training: true });
    const prog = await c.backend.compile({ graph: gg.graph, batch: c.batch, training: true, params: c.params });
    const input = imageInput(g).name;
    const s = c.lossScale;
    const per: LayerGrads[] = [];
    try {
      for (let k = 0; k < n; k++) {
        const b = c.batches[k];
        if (!b) throw new Error(`the requested proxies need ${n} batches, got ${c.batches.length}`);
        const r = await prog.run({ [input]: b.x, labels: b.y });
        per.push(
          new Map(
            weights.map((w) => {
              const gr = r.outputs.get(`grad:${w}`)!;
              return [w, s === 1 ? gr : Float64Array.from(gr).map((x) => x * s)];
            }),
          ),
        );
      }
    } finally {
      prog.dispose();
    }
    return (needs) => (needs.weightGrads ? { weightGrads: per.slice(0, needs.weightGrads) } : {});
  },
};
