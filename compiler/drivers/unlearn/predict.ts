// Inference-mode logits of a classifier for many samples on a proxy backend, batch by batch
// (the last batch padded): what the NTK residuals and the evaluation of unlearning read.
import type { Graph } from '../../ir/types.js';
import type { ProxyBackend } from '../proxies/backend.js';
import { inputName } from './jacobian.js';

export async function predict(
  backend: ProxyBackend,
  g: Graph,
  params: ReadonlyMap<string, Float64Array>,
  x: Float32Array,
  samples: number,
  classes: number,
  batch: number,
): Promise<Float64Array> {
  const per = samples === 0 ? 0 : x.length / samples;
  const out = new Float64Array(samples * classes);
  if (samples === 0) return out;
  const B = Math.min(batch, samples);
  const prog = await backend.compile({ graph: g, batch: B, training: false, params });
  const name = inputName(g);
  try {
    for (let start = 0; start < samples; start += B) {
      const size = Math.min(B, samples - start);
      const xb = new Float32Array(B * per);
      xb.set(x.subarray(start * per, (start + size) * per));
      const y = (await prog.run({ [name]: xb })).outputs.values().next().value!;
      for (let k = 0; k < size * classes; k++) out[start * classes + k] = y[k]!;
    }
  } finally {
    prog.dispose();
  }
  return out;
}
