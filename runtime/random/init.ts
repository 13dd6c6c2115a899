// Parameter initialisation, as PyTorch's defaults, deterministic for a seed. Each parameter
// draws from its own counter-based stream keyed by (seed, parameter name) (philox.ts), so a
// parameter's values depend only on the seed and its name — not on the order of the
// parameters, nor on which other parameters a model has. The runtime initialises a plan's
// parameters with this, and the reference interpreter (compiler/reference/init.ts) too, so both
// start from the same values.
import type { Init } from '../plan/types.js';
import { Stream } from './philox.js';

/** torch.nn.init.calculate_gain('leaky_relu', a) = √(2/(1+a²)). */
export const leakyReluGain = (a: number): number => Math.sqrt(2 / (1 + a * a));

/** The values of one parameter of `shape` for `init`, drawn from stream (seed, name). */
export function initValues(
  init: Init,
  shape: readonly number[],
  seed: number,
  name: string,
  precision: 'f64' | 'f32' = 'f64',
): Float64Array | Float32Array {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = precision === 'f32' ? new Float32Array(n) : new Float64Array(n);
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
  return data;
}
