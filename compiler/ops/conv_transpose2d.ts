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
  out0,
  withAttrs,
  props,
  numelOf,
} from './helpers.js';
import { conv2dGradInput } from '../reference/kernels.js';

/** The output size of a transposed convolution, as torch.nn.ConvTranspose2d computes it. */
export function transposedOut(
  inp: number,
  k: number,
  stride: number,
  pad: number,
  dil: number,
  outPad: number,
): number {
  return (inp - 1) * stride - 2 * pad + dil * (k - 1) + outPad + 1;
}

/** The geometry of the convolution this op is the input gradient of. */
const geometry = (a: Readonly<Record<string, unknown>>) => ({
  stride: a['stride'] as number[],
  padding: a['padding'] as number[],
  dilation: a['dilation'] as number[],
  groups: a['groups'] as number,
});

/**
 * 2-D transposed convolution over NCHW input, as torch.nn.ConvTranspose2d: weight
 * [in, out/groups, kh, kw], output size (H − 1)·stride − 2·padding + dilation·(k − 1) +
 * output_padding + 1. It is the input gradient of the convolution with the same geometry
 * (conv2d_grad_input), so it is evaluated and lowered as one; its VJP is that convolution
 * (for x) and its weight gradient (for the weight). Initialisation is PyTorch's: kaiming-uniform
 * with a=√5 and the bias uniform in ±1/√fan_in, where fan_in = (out/groups)·kh·kw (PyTorch
 * reads it off the weight's second dimension). MACs = N·in·H·W·(out/groups)·kh·kw.
 */
export const conv_transpose2d: OpDef = {
  name: 'conv_transpose2d',
  kind: 'conv',
  props: props('homogeneous'),
  doc: '2-D transposed convolution (NCHW), as torch.nn.ConvTranspose2d.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'out', type: 'int', doc: 'output channels' },
    { name: 'kernel', type: 'int2' },
    { name: 'stride', type: 'int2', default: 1 },
    { name: 'padding', type: 'int2', default: 0 },
    { name: 'output_padding', type: 'int2', default: 0, doc: 'added to one side of the output; below the stride' },
    { name: 'groups', type: 'int', default: 1 },
    { name: 'bias', type: 'bool', default: true },
    { name: 'dilation', type: 'int2', default: 1 },
  ],
  infer([x], a) {
    const op = 'conv_transpose2d';
    requireRank(x!, 4, op, '[N, C, H, W]');
    const [n, c, h, w] = x!.shape;
    const cin = known(c!, 'the channel dimension', x!.shape, op);
    const out = int(a, 'out');
    const groups = int(a, 'groups');
    const [kh, kw] = pair(a, 'kernel');
    const [sh, sw] = pair(a, 'stride');
    const [ph, pw] = pair(a, 'padding');
    const [oph, opw] = pair(a, 'output_padding');
    const [dh, dw] = pair(a, 'dilation');
    if (out <= 0) opError('MDL3006', `${op}: out must be positive, got ${out}`);
    if (groups <= 0) opError('MDL3006', `${op}: groups must be positive, got ${groups}`);
    if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0)
      opError('MDL3006', `${op}: kernel, stride and dilation must be positive`);
    if (ph < 0 || pw < 0 || oph < 0 || opw < 0)
      opError('MDL3006', `${op}: padding and output_padding must not be negative`);
    if (oph >= sh || opw >= sw)
      opError(
        'MDL3006',
        `${op}: output_padding ${oph}×${opw} must be smaller than the stride ${sh}×${sw}`,
        'output_padding picks one of the stride many output sizes that map back to the same input size',
      );
    if (cin % groups !== 0 || out % groups !== 0)
      opError(
        'MDL4005',
        `${op}: input channels ${cin} and output channels ${out} must both be divisible by groups=${groups}`,
      );
    const H = known(h!, 'the height', x!.shape, op);
    const W = known(w!, 'the width', x!.shape, op);
    const ho = transposedOut(H, kh, sh, ph, dh, oph);
    const wo = transposedOut(W, kw, sw, pw, dw, opw);
    if (ho <= 0 || wo <= 0)
      opError(
        'MDL4004',
        `${op}: padding ${ph}×${pw} leaves no output for input ${formatShape(x!.shape)}; the output would be ${ho}×${wo}`,
        'use less padding',
      );
    return [{ shape: [n!, out, ho, wo], dtype: x!.dtype }];
  },
  params([x], a) {
    const cin = x!.shape[1] as number;
    const out = int(a, 'out');
    const groups = int(a, 'groups');
    const [kh, kw] = pair(a, 'kernel');
    const fanIn = (out / groups) * kh * kw;
    return weightAndBias([cin, out / groups, kh, kw], fanIn, out, bool(a, 'bias'));
  },
  cost(c) {
    const [, og, kh, kw] = c.params[0]!;
    const macs = numelOf(c.inputs[0]!) * og! * kh! * kw!;
    return { macs, flops: 2 * macs + (c.params.length > 1 ? out0(c) : 0) };
  },
  eval([x, w, bias], a, ctx) {
    const y = ctx.alloc(ctx.outputs[0]!);
    conv2dGradInput(x!.data, w!.data, convGeom(y.shape, x!.shape, a), y.data);
    if (bias) {
      const [N, O, Ho, Wo] = y.shape as [number, number, number, number];
      for (let i = 0; i < N * O; i++) for (let k = 0; k < Ho * Wo; k++) y.data[i * Ho * Wo + k]! += bias.data[i % O]!;
    }
    return [y];
  },
  // The adjoint of the input gradient is the convolution itself: dx = conv2d(g, w) with the
  // same geometry, dw = conv2d_grad_weight(x, g) (x plays the convolution's output gradient),
  // db = g summed over N, H, W.
  vjp(b, n, [g], needs) {
    const [x, w] = n.inputs as [number, number];
    if (!g) return n.inputs.map(() => null);
    const geo = geometry(n.attrs);
    const ws = b.shape(w) as number[];
    return [
      needs[0] ? b.op1('conv2d', [g], { ...geo, out: ws[0]!, kernel: [ws[2]!, ws[3]!], bias: false }, [w]) : null,
      needs[1] ? b.op1('conv2d_grad_weight', [x, g], { ...geo, kernel: [ws[2]!, ws[3]!] }) : null,
      ...(n.inputs.length > 2 ? [needs[2] ? b.op1('sum', [g], { axes: [0, 2, 3] }) : null] : []),
    ];
  },
  jvp(b, n, [tx, tw, tb]) {
    const [x, w] = n.inputs as [number, number];
    const a = withAttrs(n.attrs, { bias: false });
    const out = b.shape(n.outputs[0]!);
    let t = b.add(
      tx ? b.op1('conv_transpose2d', [tx], a, [w]) : null,
      tw ? b.op1('conv_transpose2d', [x], a, [tw]) : null,
    );
    if (tb) t = b.add(t, b.expandTo(b.reshape(tb, [out[1]!, 1, 1]), out));
    return [t];
  },
};
