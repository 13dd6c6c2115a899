import { formatShape, sameShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, num, numelOf, props } from '../helpers.js';

/**
 * One step of torch.optim.Adam (or AdamW, `decoupled`) for one parameter, at step t = ctx.step + 1
 * (the run's step counts from 0): m′ = β₁m + (1 − β₁)g, v′ = β₂v + (1 − β₂)g²,
 * p′ = p − lr·(m′/(1 − β₁ᵗ)) / (√(v′/(1 − β₂ᵗ)) + eps). Weight decay adds wd·p to g (Adam) or
 * multiplies p by 1 − lr·wd first (AdamW). Inputs p, g, m, v and the scalar lr; outputs
 * [p′, m′, v′]. FLOPs: 12 per element.
 */
export const adam_update: OpDef = {
  name: 'adam_update',
  kind: 'optimizer',
  props: props(),
  doc: 'One Adam / AdamW step of one parameter.',
  args: [
    { name: 'param', type: 'tensor' },
    { name: 'grad', type: 'tensor' },
    { name: 'exp_avg', type: 'tensor' },
    { name: 'exp_avg_sq', type: 'tensor' },
    { name: 'lr', type: 'tensor' },
    { name: 'beta1', type: 'float', default: 0.9 },
    { name: 'beta2', type: 'float', default: 0.999 },
    { name: 'eps', type: 'float', default: 1e-8 },
    { name: 'weight_decay', type: 'float', default: 0 },
    { name: 'decoupled', type: 'bool', default: false },
  ],
  outputs: () => 3,
  infer([p, g, m, v, lr]) {
    if (![g, m, v].every((t) => sameShape(t!.shape, p!.shape)) || lr!.shape.length !== 0)
      opError(
        'MDL4001',
        `adam_update: param ${formatShape(p!.shape)}, grad ${formatShape(g!.shape)}, moments ${formatShape(m!.shape)} ${formatShape(v!.shape)} and a scalar lr do not fit`,
      );
    return [p!, p!, p!];
  },
  cost: (c) => ({ macs: 0, flops: 12 * numelOf(c.outputs[0]!) }),
  eval([p, g, m, v, lr], a, ctx) {
    const [np, nm, nv] = [ctx.alloc(p!.shape), ctx.alloc(p!.shape), ctx.alloc(p!.shape)];
    const b1 = num(a, 'beta1');
    const b2 = num(a, 'beta2');
    const eps = num(a, 'eps');
    const wd = num(a, 'weight_decay');
    const decoupled = bool(a, 'decoupled');
    const rate = lr!.data[0]!;
    const t = ctx.step + 1;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < np.data.length; i++) {
      let pi = p!.data[i]!;
      let gi = g!.data[i]!;
      if (decoupled) pi *= 1 - rate * wd;
      else gi += wd * pi;
      const mi = b1 * m!.data[i]! + (1 - b1) * gi;
      const vi = b2 * v!.data[i]! + (1 - b2) * gi * gi;
      nm.data[i] = mi;
      nv.data[i] = vi;
      np.data[i] = pi - (rate * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
    return [np, nm, nv];
  },
  vjp: null,
  jvp: null,
};
