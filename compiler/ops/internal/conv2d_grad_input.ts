import { formatShape } from '../../ir/shape.js';
import { conv2dGradInput } from '../../reference/kernels.js';
import type { OpDef } from '../types.js';
import { opError } from '../types.js';
import { convGeom, int, known, numelOf, pair, requireRank, windowOut, props } from '../helpers.js';

/**
 * The gradient of conv2d with respect to its input: the transposed convolution of the output
 * gradient dy [N, O, Ho, Wo] with the weight w [O, C/groups, kh, kw], giving dx [N, C, H, W]
 * (`input_size` = [H, W], since several input sizes give the same output size). MACs: those of
 * the forward convolution, numel(dy)·(C/groups)·kh·kw.
 */
export const conv2d_grad_input: OpDef = {
  name: 'conv2d_grad_input',
  kind: 'conv',
  props: props(),
  doc: 'Backward of conv2d with respect to its input (a transposed convolution).',
  args: [
    { name: 'dy', type: 'tensor' },
    { name: 'weight', type: 'tensor' },
    { name: 'stride', type: 'int2' },
    { name: 'padding', type: 'int2' },
    { name: 'dilation', type: 'int2' },
    { name: 'groups', type: 'int' },
    { name: 'input_size', type: 'int2' },
  ],
  infer([dy, w], a) {
    requireRank(dy!, 4, 'conv2d_grad_input', '[N, O, Ho, Wo]');
    requireRank(w!, 4, 'conv2d_grad_input', 'weight [O, C/groups, kh, kw]');
    const [H, W] = pair(a, 'input_size');
    const [o, cg, kh, kw] = w!.shape.map((d) => known(d, 'a weight dim', w!.shape, 'conv2d_grad_input'));
    const [sh, sw] = pair(a, 'stride');
    const [ph, pw] = pair(a, 'padding');
    const [dh, dw] = pair(a, 'dilation');
    if (
      dy!.shape[1] !== o ||
      windowOut(H, kh!, sh, ph, dh) !== dy!.shape[2] ||
      windowOut(W, kw!, sw, pw, dw) !== dy!.shape[3]
    )
      opError(
        'MDL4001',
        `conv2d_grad_input: dy ${formatShape(dy!.shape)} does not fit weight ${formatShape(w!.shape)} on a ${H}×${W} input`,
      );
    return [{ shape: [dy!.shape[0]!, cg! * int(a, 'groups'), H, W], dtype: dy!.dtype }];
  },
  cost(c) {
    const [, cg, kh, kw] = c.inputs[1]!;
    const macs = numelOf(c.inputs[0]!) * cg! * kh! * kw!;
    return { macs, flops: 2 * macs };
  },
  eval([dy, w], a, ctx) {
    const dx = ctx.alloc(ctx.outputs[0]!);
    conv2dGradInput(
      dy!.data,
      w!.data,
      convGeom(dx.shape, dy!.shape, { ...a, kernel: [w!.shape[2]!, w!.shape[3]!] }),
      dx.data,
    );
    return [dx];
  },
  // Bilinear in (dy, w), the adjoint of conv2d in x: d dy = conv2d(G, w), d w = conv2d_grad_weight(dy, G).
  vjp(b, n, [G], needs) {
    const [dy, w] = n.inputs as [number, number];
    if (!G) return [null, null];
    const ws = b.shape(w) as number[];
    const geo = {
      stride: n.attrs['stride']!,
      padding: n.attrs['padding']!,
      dilation: n.attrs['dilation']!,
      groups: n.attrs['groups']!,
    };
    return [
      needs[0] ? b.op1('conv2d', [G], { ...geo, out: ws[0]!, kernel: [ws[2]!, ws[3]!], bias: false }, [w]) : null,
      needs[1] ? b.op1('conv2d_grad_weight', [dy, G], { ...geo, kernel: [ws[2]!, ws[3]!] }) : null,
    ];
  },
  jvp(b, n, [tdy, tw]) {
    const [dy, w] = n.inputs as [number, number];
    return [
      b.add(
        tdy ? b.op1('conv2d_grad_input', [tdy, w], n.attrs) : null,
        tw ? b.op1('conv2d_grad_input', [dy, tw], n.attrs) : null,
      ),
    ];
  },
};
