// One training-mode pass over the first batch for what the forward pass and a vector-Jacobian
// product with the input show: the per-sample input gradients of Σ outputs (a cotangent of
// ones), and the inputs of every ReLU read back from the same run. Without input gradients
// the graph is the network itself.
import { buildGradient } from '../../../autodiff/grad.js';
import type { ReluInput } from '../../../space/data-proxies/needs.js';
import { imageInput, reluInputs } from '../../../space/data-proxies/layers.js';
import { sizeOf, type Run } from './run.js';

export const forwardRun: Run = {
  async measure(c, asked) {
    const g = c.graph;
    const B = c.batch;
    const input = imageInput(g);
    const relus = asked.some((a) => a.reluInputs) ? reluInputs(g) : new Map<number, number>();
    const jac = asked.some((a) => a.inputGrads);
    const gg = jac
      ? buildGradient(g, { loss: { kind: 'cotangents' }, params: false, wrtInputs: [input.name], training: true })
      : undefined;
    const graph = gg?.graph ?? g;
    const prog = await c.backend.compile({
      graph,
      batch: B,
      training: true,
      params: c.params,
      keep: [...relus.keys()],
    });
    let inputGrads: ArrayLike<number> | undefined;
    let relu: ReluInput[] = [];
    try {
      const inputs: Record<string, Float32Array | Int32Array> = { [input.name]: c.batches[0]!.x };
      const o = g.outputs[0]!;
      if (jac) inputs[`cot:${o.name}`] = new Float32Array(B * (sizeOf(g, o.value, B) / B)).fill(1);
      const r = await prog.run(inputs);
      if (jac) inputGrads = r.outputs.get(`grad:input:${input.name}`)!;
      relu = [...relus].map(([v, times]) => ({ values: r.kept.get(v)!, times }));
    } finally {
      prog.dispose();
    }
    return (needs) => ({
      ...(needs.inputGrads && inputGrads ? { inputGrads } : {}),
      ...(needs.reluInputs ? { reluInputs: relu } : {}),
    });
  },
};
