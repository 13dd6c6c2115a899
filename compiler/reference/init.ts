// Parameter initialisation for the reference interpreter: the runtime's initialisers
// (runtime/random/init.ts, PyTorch's defaults drawn from a stream keyed by (seed, parameter
// name)) as interpreter tensors, so a reference run and a WebGPU run start from the same values.
import { initValues } from '../../runtime/random/init.js';
import type { Graph, Init, Param } from '../ir/types.js';
import type { Precision, Tensor } from './tensor.js';

export { leakyReluGain } from '../../runtime/random/init.js';

/** The values of one parameter of `shape` for `init`, drawn from stream (seed, name). */
export function initTensor(
  init: Init,
  shape: readonly number[],
  seed: number,
  name: string,
  precision: Precision = 'f64',
): Tensor {
  return { shape: [...shape], data: initValues(init, shape, seed, name, precision) };
}

/** Initial values of every parameter and buffer of `g`, by name. */
export function initParams(g: Graph, seed: number, precision: Precision = 'f64'): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const p of g.params) out.set(p.name, initParam(p, seed, precision));
  return out;
}

export function initParam(p: Param, seed: number, precision: Precision = 'f64'): Tensor {
  return initTensor(p.init, p.shape, seed, p.name, precision);
}
