// Gradients of the cross-entropy loss with respect to chosen values of the network (its
// layers' outputs, say), with the values themselves, on the first batch in training mode: one
// gradient graph for the union of what every asking proxy selected, differentiated with respect
// to those values only (no parameter gradients), the values read back from the same run.
import { bindDims } from '../../../analysis/summary.js';
import { buildGradient } from '../../../autodiff/grad.js';
import type { ValueId } from '../../../ir/types.js';
import { imageInput } from '../../../space/data-proxies/layers.js';
import type { ValueGrad, ValueSelector } from '../../../space/data-proxies/needs.js';
import type { Run } from './run.js';

export const valueGradsRun: Run = {
  async measure(c, asked) {
    const g = c.graph;
    const chosen = new Map<ValueSelector, readonly ValueId[]>();
    for (const a of asked) if (a.valueGrads && !chosen.has(a.valueGrads)) chosen.set(a.valueGrads, a.valueGrads(g));
    const values = [...new Set([...chosen.values()].flat())];
    const gg = buildGradient(g, { loss: { kind: 'cross_entropy' }, params: false, wrtValues: values, training: true });
    const prog = await c.backend.compile({
      graph: gg.graph,
      batch: c.batch,
      training: true,
      params: c.params,
      keep: values,
    });
    const dims = bindDims(g, c.batch);
    const s = c.lossScale;
    const got = new Map<ValueId, ValueGrad>();
    try {
      const b = c.batches[0]!;
      const r = await prog.run({ [imageInput(g).name]: b.x, labels: b.y });
      for (const v of values) {
        const grad = r.outputs.get(`grad:value:${v}`)!;
        got.set(v, {
          shape: g.values[v]!.type.shape.map((d) => (typeof d === 'number' ? d : dims[d]!)),
          value: r.kept.get(v)!,
          grad: s === 1 ? grad : Float64Array.from(grad).map((x) => x * s),
        });
      }
    } finally {
      prog.dispose();
    }
    return (needs) =>
      needs.valueGrads ? { valueGrads: new Map(chosen.get(needs.valueGrads)!.map((v) => [v, got.get(v)!])) } : {};
  },
};
