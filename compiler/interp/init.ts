// Parameter initialisation, as PyTorch's defaults, deterministic for a seed. Each parameter
// draws from its own counter-based stream keyed by (seed, parameter name) (compiler/interp/rng.ts),
// so a parameter's values depend only on the seed and its name — not on the order of the
// parameters, nor on which other parameters a model has.
import type { Graph, Init, Param } from '../ir/types.js';
import { Stream } from './rng.js';
import { floatArray, size, type Precision, type Tensor } from './tensor.js';

/** torch.nn.init.calculate_gain('leaky_relu', a) = √(2/(1+a²)). */
export const leakyReluGain = (a: number): number => Math.sqrt(2 / (1 + a * a));

/** The values of one parameter of `shape` for `init`, drawn from stream (seed, name). */
export function initTensor(
  init: Init,
  shape: readonly number[],
  seed: number,
  name: string,
  precision: Precision = 'f64',
): Tensor {
  const n = size(shape);
  const data = floatArray(n, precision);
  const s = new Stream(seed, name);
  const uniform = (lo: number, hi: number) => {
    for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * s.uniform(i);
  };
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      data.fill(1);
      break;
    case 'constant':
      data.fill(init.value);
      break;
    case 'uniform':
      uniform(init.low, init.high);
      break;
    case 'normal':
      for (let i = 0; i < n; i++) data[i] = init.mean + init.std * s.normal(i);
      break;
    case 'trunc_normal':
      // torch.nn.init.trunc_normal_(mean=0, std, a, b): a normal restricted to [a, b]. Drawn
      // here by rejection (counter word 1 counts the attempts), which gives the same distribution.
      for (let i = 0; i < n; i++) {
        let v = NaN;
        for (let k = 0; k < 1000; k++) {
          v = init.std * s.normal(i, k);
          if (v >= init.a && v <= init.b) break;
        }
        data[i] = Math.min(Math.max(v, init.a), init.b);
      }
      break;
    case 'kaiming_uniform': {
      // torch.nn.init.kaiming_uniform_(a, mode='fan_in', nonlinearity='leaky_relu'):
      // bound = gain·√(3/fan_in); for a = √5 (conv and linear weights) bound = 1/√fan_in.
      const bound = leakyReluGain(init.a) * Math.sqrt(3 / init.fanIn);
      uniform(-bound, bound);
      break;
    }
    case 'kaiming_normal': {
      // torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu'): std = √2/√fan_out.
      const std = Math.SQRT2 / Math.sqrt(init.fanOut);
      for (let i = 0; i < n; i++) data[i] = std * s.normal(i);
      break;
    }
  }
  return { shape: [...shape], data };
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
