import { formatShape, sameShape } from '../../ir/shape.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { bool, num, numelOf, props } from '../helpers.js';

/**
 * One step of torch.optim.SGD for one parameter: with g′ = g + weight_decay·p,
 * buf′ = momentum·buf + (1 − dampening)·g′ (buf starts at zero, so the first step gives g′ as in
 * PyTorch when dampening is 0), d = g′ + momentum·buf′ (nesterov) or buf′ (momentum > 0) or g′,
 * p′ = p − lr·d. Inputs p, g, buf and the scalar learning rate lr (an input, so schedules
 * need no new graph); outputs [p′, buf′]. FLOPs: 6 per element.
 */
export const sgd_update: OpDef = {
  name: 'sgd_update',
  kind: 'optimizer',
  props: props(),
  doc: 'One SGD step (momentum, dampening, Nesterov, weight decay) of one parameter.',
  args: [
    { name: 'param', type: 'tensor' },
    { name: 'grad', type: 'tensor' },
    { name: 'momentum_buffer', type: 'tensor' },
    { name: 'lr', type: 'tensor' },
    { name: 'momentum', type: 'float', default: 0 },
    { name: 'dampening', type: 'float', default: 0 },
    { name: 'weight_decay', type: 'float', default: 0 },
    { name: 'nesterov', type: 'bool', default: false },
  ],
  outputs: () => 2,
  infer([p, g, buf, lr]) {
    if (!sameShape(p!.shape, g!.shape) || !sameShape(p!.shape, buf!.shape) || lr!.shape.length !== 0)
      opError(
        'MDL4001',
        `sgd_update: param ${formatShape(p!.shape)}, grad ${formatShape(g!.shape)}, buffer ${formatShape(buf!.shape)} and a scalar lr ${formatShape(lr!.shape)} do not fit`,
      );
    return [p!, p!];
  },
  cost: (c) => ({ macs: 0, flops: 6 * numelOf(c.outputs[0]!) }),
  eval([p, g, buf, lr], a, ctx) {
    const np = ctx.alloc(p!.shape);
    const nb = ctx.alloc(p!.shape);
    const mu = num(a, 'momentum');
    const damp = num(a, 'dampening');
    const wd = num(a, 'weight_decay');
    const nesterov = bool(a, 'nesterov');
    const rate = lr!.data[0]!;
    for (let i = 0; i < np.data.length; i++) {
      const gi = g!.data[i]! + wd * p!.data[i]!;
      const b = mu * buf!.data[i]! + (1 - damp) * gi;
      nb.data[i] = b;
      const d = mu === 0 ? gi : nesterov ? gi + mu * b : b;
      np.data[i] = p!.data[i]! - rate * d;
    }
    return [np, nb];
  },
  vjp: null,
  jvp: null,
};
