import type { OpDef } from './types.js';
import { out0, pair, pool2dInfer } from './helpers.js';

/**
 * 2-D average pooling over NCHW input, as torch.nn.AvgPool2d (same output-size rule as
 * maxpool2d, without dilation). stride=none means stride = kernel. count_include_pad changes
 * only the divisor at padded borders, not the shape. FLOPs: numel(out)·kh·kw (the adds; the
 * one divide per output is amortised).
 */
export const avgpool2d: OpDef = {
  name: 'avgpool2d',
  kind: 'pool',
  doc: '2-D average pooling (NCHW); stride defaults to the kernel.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'kernel', type: 'int2' },
    { name: 'stride', type: 'int2', default: null, doc: 'none: the kernel size' },
    { name: 'padding', type: 'int2', default: 0 },
    { name: 'ceil_mode', type: 'bool', default: false },
    { name: 'count_include_pad', type: 'bool', default: true },
  ],
  infer: ([x], a) => [pool2dInfer('avgpool2d', x!, a)],
  cost(c) {
    const [kh, kw] = pair(c.attrs, 'kernel');
    return { macs: 0, flops: out0(c) * kh * kw };
  },
};
