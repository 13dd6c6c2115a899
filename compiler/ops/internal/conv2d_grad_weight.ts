import { formatShape } from '../../ir/shape.js';
import { conv2dGradWeight } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { convGeom, int, known, numelOf, pair, requireRank, windowOut, props } from '../helpers.js';

/**
 * The gradient of conv2d with respect to its weight: the correlation of the output gradient
 * dy [N, O, Ho, Wo] with the input x [N, C, H, W], summed over the batch, giving
 * dw [O, C/groups, kh, kw]. MACs: those of the forward convolution.
 */
export const conv2d_grad_weight: OpDef = {
  name: 'conv2d_grad_weight',
  kind: 'conv',
  props: props(),
  doc: 'Backward of conv2d with respect to its weight.',
  args: [
    { name: 'dy', type: 'tensor' },
    { name: 'x', type: 'tensor' },
    { name: 'kernel', type: 'int2' },
    { name: 'stride', type: 'int2' },
    { name: 'padding', type: 'int2' },
    { name: 'dilation', type: 'int2' },
    { name: 'groups', type: 'int' },
  ],
  infer([dy, x], a) {
    requireRank(dy!, 4, 'conv2d_grad_weight', '[N, O, Ho, Wo]');
    requireRank(x!, 4, 'conv2d_grad_weight', 'x [N, C, H, W]');
    const [kh, kw] = pair(a, 'kernel');
    const [sh, sw] = pair(a, 'stride');
    const [ph, pw] = pair(a, 'padding');
    const [dh, dw] = pair(a, 'dilation');
    const groups = int(a, 'groups');
    const C = known(x!.shape[1]!, 'the channel dimension', x!.shape, 'conv2d_grad_weight');
    const O = known(dy!.shape[1]!, 'the channel dimension', dy!.shape, 'conv2d_grad_weight');
    const H = known(x!.shape[2]!, 'the height', x!.shape, 'conv2d_grad_weight');
    const W = known(x!.shape[3]!, 'the width', x!.shape, 'conv2d_grad_weight');
    if (
      dy!.shape[0] !== x!.shape[0] ||
      windowOut(H, kh, sh, ph, dh) !== dy!.shape[2] ||
      windowOut(W, kw, sw, pw, dw) !== dy!.shape[3] ||
      C % groups ||
      O % groups
    )
      opError(
        'MDL4001',
        `conv2d_grad_weight: dy ${formatShape(dy!.shape)} does not fit input ${formatShape(x!.shape)}`,
      );
    return [{ shape: [O, C / groups, kh, kw], dtype: dy!.dtype }];
  },
  cost(c) {
    const [, cg, kh, kw] = c.outputs[0]!;
    const macs = numelOf(c.inputs[0]!) * cg! * kh! * kw!;
    return { macs, flops: 2 * macs };
  },
  eval([dy, x], a, ctx) {
    const dw = ctx.alloc(ctx.outputs[0]!);
    conv2dGradWeight(dy!.data, x!.data, convGeom(x!.shape, dy!.shape, a), dw.data);
    return [dw];
  },
  // Bilinear in (dy, x): d dy = conv2d(x, G), d x = conv2d_grad_input(dy, G).
  vjp(b, n, [G], needs) {
    const [dy, x] = n.inputs as [number, number];
    if (!G) return [null, null];
    const xs = b.shape(x);
    const geo = {
      stride: n.attrs['stride']!,
      padding: n.attrs['padding']!,
      dilation: n.attrs['dilation']!,
      groups: n.attrs['groups']!,
    };
    return [
      needs[0]
        ? b.op1('conv2d', [x], { ...geo, out: b.shape(dy)[1]!, kernel: n.attrs['kernel']!, bias: false }, [G])
        : null,
      needs[1] ? b.op1('conv2d_grad_input', [dy, G], { ...geo, input_size: [xs[2]!, xs[3]!] }) : null,
    ];
  },
  jvp(b, n, [tdy, tx]) {
    const [dy, x] = n.inputs as [number, number];
    return [
      b.add(
        tdy ? b.op1('conv2d_grad_weight', [tdy, x], n.attrs) : null,
        tx ? b.op1('conv2d_grad_weight', [dy, tx], n.attrs) : null,
      ),
    ];
  },
};
