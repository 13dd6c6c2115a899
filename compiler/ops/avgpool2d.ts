import type { OpDef } from './types.js';
import { bool, out0, pair, pool2dInfer, poolGeom, props } from './helpers.js';
import { avgWindows } from '../reference/kernels.js';
import type { Attrs } from '../ir/types.js';
import type { Tensor } from '../reference/tensor.js';

/** Average pooling of `x` into `y` (shapes [N, C, H, W] → [N, C, Ho, Wo]), PyTorch's divisors. */
export function avgpoolInto(x: Tensor, y: Tensor, a: Attrs): void {
  const g = poolGeom(x.shape, y.shape, a);
  const win = avgWindows({ ...g, countIncludePad: bool(a, 'count_include_pad') });
  for (let p = 0; p < g.NC; p++)
    for (let k = 0; k < g.Ho * g.Wo; k++) {
      const [hs, he, ws, we, div] = [win[5 * k]!, win[5 * k + 1]!, win[5 * k + 2]!, win[5 * k + 3]!, win[5 * k + 4]!];
      let s = 0;
      for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) s += x.data[(p * g.H + h) * g.W + w]!;
      y.data[p * g.Ho * g.Wo + k] = s / div;
    }
}

/**
 * 2-D average pooling over NCHW input, as torch.nn.AvgPool2d (same output-size rule as
 * maxpool2d, without dilation). stride=none means stride = kernel. count_include_pad changes
 * only the divisor at padded borders, not the shape. FLOPs: numel(out)·kh·kw (the adds; the
 * one divide per output is amortised).
 */
export const avgpool2d: OpDef = {
  name: 'avgpool2d',
  kind: 'pool',
  props: props('zero-preserving', 'channel-transparent', 'homogeneous'),
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
  eval([x], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    avgpoolInto(x!, y, a);
    return [y];
  },
  // Linear: the VJP spreads each output's gradient over its window (avgpool2d_grad); the JVP pools the tangent.
  vjp(b, n, [g], needs) {
    if (!needs[0] || !g) return [null];
    const xs = b.shape(n.inputs[0]!);
    const { kernel, stride, padding, ceil_mode, count_include_pad } = n.attrs;
    return [
      b.op1('avgpool2d_grad', [g], {
        kernel: kernel!,
        stride: stride!,
        padding: padding!,
        ceil_mode: ceil_mode!,
        count_include_pad: count_include_pad!,
        input_size: [xs[2]!, xs[3]!],
      }),
    ];
  },
  jvp: (b, n, [t]) => [t ? b.op1('avgpool2d', [t], n.attrs) : null],
};
