import type { OpDef } from './types.js';
import { out0, pair, pool2dInfer } from './helpers.js';

/**
 * 2-D max pooling over NCHW input, as torch.nn.MaxPool2d, including ceil_mode (the last window
 * must start inside the input or the left padding). stride=none means stride = kernel.
 * FLOPs: one comparison per window element, numel(out)·kh·kw.
 */
export const maxpool2d: OpDef = {
  name: 'maxpool2d',
  kind: 'pool',
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
};
