import { formatShape } from '../ir/shape.js';
import type { OpDef } from './types.js';
import { opError } from './types.js';
import {
  weightAndBias,
  bool,
  convGeom,
  int,
  known,
  pair,
  requireRank,
  windowOut,
  out0,
  withAttrs,
  props,
} from './helpers.js';
import { conv2dForward } from '../reference/kernels.js';

/**
 * 2-D convolution over NCHW input, weight [out, in/groups, kh, kw], as torch.nn.Conv2d.
 * Initialisation is PyTorch's default: kaiming-uniform with a=√5 for the weight, and a bias
 * uniform in ±1/√fan_in. MACs = N·out·Ho·Wo·(in/groups)·kh·kw.
 */
export const conv2d: OpDef = {
  name: 'conv2d',
  kind: 'conv',
  props: props('homogeneous'),
  doc: '2-D convolution (NCHW); groups=in for depthwise.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'out', type: 'int', doc: 'output channels' },
    { name: 'kernel', type: 'int2' },
    { name: 'stride', type: 'int2', default: 1 },
    { name: 'padding', type: 'int2', default: 0 },
    { name: 'dilation', type: 'int2', default: 1 },
    { name: 'groups', type: 'int', default: 1 },
    { name: 'bias', type: 'bool', default: true },
  ],
  infer([x], a) {
    requireRank(x!, 4, 'conv2d', '[N, C, H, W]');
    const [n, c, h, w] = x!.shape;
    const cin = known(c!, 'the channel dimension', x!.shape, 'conv2d');
    const out = int(a, 'out');
    const groups = int(a, 'groups');
    const [kh, kw] = pair(a, 'kernel');
    const [sh, sw] = pair(a, 'stride');
    const [ph, pw] = pair(a, 'padding');
    const [dh, dw] = pair(a, 'dilation');
    if (out <= 0) opError('MDL3006', `conv2d: out must be positive, got ${out}`);
    if (groups <= 0) opError('MDL3006', `conv2d: groups must be positive, got ${groups}`);
    if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0)
      opError('MDL3006', `conv2d: kernel, stride and dilation must be positive`);
    if (ph < 0 || pw < 0) opError('MDL3006', `conv2d: padding must not be negative`);
    if (cin % groups !== 0 || out % groups !== 0)
      opError(
        'MDL4005',
        `conv2d: input channels ${cin} and output channels ${out} must both be divisible by groups=${groups}`,
        `for a depthwise convolution use groups=${cin} and out a multiple of ${cin}`,
      );
    const H = known(h!, 'the height', x!.shape, 'conv2d');
    const W = known(w!, 'the width', x!.shape, 'conv2d');
    const ho = windowOut(H, kh, sh, ph, dh);
    const wo = windowOut(W, kw, sw, pw, dw);
    if (ho <= 0 || wo <= 0)
      opError(
        'MDL4004',
        `conv2d: a ${kh}×${kw} kernel (dilation ${dh}×${dw}, padding ${ph}×${pw}) does not fit input ${formatShape(x!.shape)}; the output would be ${ho}×${wo}`,
        'add padding or use a smaller kernel',
      );
    return [{ shape: [n!, out, ho, wo], dtype: x!.dtype }];
  },
  params([x], a) {
    const cin = x!.shape[1] as number;
    const out = int(a, 'out');
    const groups = int(a, 'groups');
    const [kh, kw] = pair(a, 'kernel');
    const fanIn = (cin / groups) * kh * kw;
    return weightAndBias([out, cin / groups, kh, kw], fanIn, out, bool(a, 'bias'));
  },
  cost(c) {
    const [, cinPerGroup, kh, kw] = c.params[0]!;
    const macs = out0(c) * cinPerGroup! * kh! * kw!;
    return { macs, flops: 2 * macs + (c.params.length > 1 ? out0(c) : 0) };
  },
  eval([x, w, bias], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    conv2dForward(x!.data, w!.data, bias ? bias.data : null, convGeom(x!.shape, y.shape, a), y.data);
    return [y];
  },
  // dx: the transposed convolution of dy (conv2d_grad_input); dw: the correlation of dy with x
  // (conv2d_grad_weight); each costs the forward MACs. db: dy summed over N, H, W.
  vjp(b, n, [g], needs) {
    const [x, w] = n.inputs as [number, number];
    if (!g) return n.inputs.map(() => null);
    const geo = {
      stride: n.attrs['stride']!,
      padding: n.attrs['padding']!,
      dilation: n.attrs['dilation']!,
      groups: n.attrs['groups']!,
    };
    const xs = b.shape(x);
    return [
      needs[0] ? b.op1('conv2d_grad_input', [g, w], { ...geo, input_size: [xs[2]!, xs[3]!] }) : null,
      needs[1] ? b.op1('conv2d_grad_weight', [g, x], { ...geo, kernel: n.attrs['kernel']! }) : null,
      ...(n.inputs.length > 2 ? [needs[2] ? b.op1('sum', [g], { axes: [0, 2, 3] }) : null] : []),
    ];
  },
  jvp(b, n, [tx, tw, tb]) {
    const [x, w] = n.inputs as [number, number];
    const a = withAttrs(n.attrs, { bias: false });
    const out = b.shape(n.outputs[0]!);
    let t = b.add(tx ? b.op1('conv2d', [tx], a, [w]) : null, tw ? b.op1('conv2d', [x], a, [tw]) : null);
    if (tb) t = b.add(t, b.expandTo(b.reshape(tb, [out[1]!, 1, 1]), out));
    return [t];
  },
};
