import type { OpDef } from './types.js';
import { out0, pair, pool2dInfer, poolGeom, props } from './helpers.js';
import { maxpoolArgmax } from '../reference/kernels.js';

/** The pooling attributes that the backward ops carry over. */
export const maxpoolAttrs = (a: Readonly<Record<string, unknown>>) => ({
  kernel: a['kernel'] as number[],
  stride: a['stride'] as number[] | null,
  padding: a['padding'] as number[],
  dilation: a['dilation'] as number[],
  ceil_mode: a['ceil_mode'] as boolean,
});

/**
 * 2-D max pooling over NCHW input, as torch.nn.MaxPool2d, including ceil_mode (the last window
 * must start inside the input or the left padding). stride=none means stride = kernel.
 * FLOPs: one comparison per window element, numel(out)·kh·kw.
 */
export const maxpool2d: OpDef = {
  name: 'maxpool2d',
  kind: 'pool',
  props: props('zero-preserving', 'channel-transparent', 'homogeneous'),
  doc: '2-D max pooling (NCHW); stride defaults to the kernel.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'kernel', type: 'int2' },
    { name: 'stride', type: 'int2', default: null, doc: 'none: the kernel size' },
    { name: 'padding', type: 'int2', default: 0 },
    { name: 'dilation', type: 'int2', default: 1 },
    { name: 'ceil_mode', type: 'bool', default: false },
  ],
  infer: ([x], a) => [pool2dInfer('maxpool2d', x!, a)],
  cost(c) {
    const [kh, kw] = pair(c.attrs, 'kernel');
    return { macs: 0, flops: out0(c) * kh * kw };
  },
  eval([x], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    const arg = maxpoolArgmax(x!.data, poolGeom(x!.shape, y.shape, a));
    for (let k = 0; k < arg.length; k++) y.data[k] = x!.data[arg[k]!]!;
    return [y];
  },
  // The gradient goes to each window's maximum (the first, on ties, as PyTorch); the tangent
  // is read there.
  vjp: (b, n, [g], needs) => [needs[0] && g ? b.op1('maxpool2d_grad', [g, n.inputs[0]!], maxpoolAttrs(n.attrs)) : null],
  jvp: (b, n, [t]) => [t ? b.op1('maxpool2d_select', [t, n.inputs[0]!], maxpoolAttrs(n.attrs)) : null],
};
