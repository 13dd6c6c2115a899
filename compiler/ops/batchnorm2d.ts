import type { OpDef, ParamSpec } from './types.js';
import { opError } from './types.js';
import { bool, known, num, out0, requireRank, props } from './helpers.js';
import type { ValueId } from '../ir/types.js';
import type { IrBuilder } from './types.js';

/**
 * Batch normalisation over NCHW input, as torch.nn.BatchNorm2d: per channel C, weight [C] ones
 * and bias [C] zeros (when affine), and the buffers running_mean [C] zeros and running_var [C]
 * ones (state, not parameters).
 *
 * FLOPs: 4 per element — the inference form: subtract the mean, multiply by the precomputed
 * 1/√(var+eps), then the affine scale and shift. Training additionally computes the batch
 * statistics (about 3 more per element) and updates the running averages (per channel); those
 * are not counted here.
 *
 * freeze_stats: the layer runs as in inference also inside a training step — the running
 * statistics normalise and are never updated (PyTorch's `module.eval()` on a batchnorm layer
 * while fine-tuning); a train section's `freeze_stats` setting sets it by layer name.
 */
export const batchnorm2d: OpDef = {
  name: 'batchnorm2d',
  kind: 'normalization',
  props: props('channel-transparent', 'homogeneous'),
  doc: 'Batch normalisation over the channels of an NCHW tensor.',
  args: [
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'float', default: 1e-5 },
    { name: 'momentum', type: 'float', default: 0.1 },
    { name: 'affine', type: 'bool', default: true },
    {
      name: 'freeze_stats',
      type: 'bool',
      default: false,
      doc: 'normalise with the running statistics and never update them, in training too',
      addedLater: true,
    },
  ],
  infer([x], a) {
    requireRank(x!, 4, 'batchnorm2d', '[N, C, H, W]');
    known(x!.shape[1]!, 'the channel dimension', x!.shape, 'batchnorm2d');
    const eps = num(a, 'eps');
    const momentum = num(a, 'momentum');
    if (!(eps > 0)) opError('MDL3006', `batchnorm2d: eps must be positive, got ${eps}`);
    if (!(momentum >= 0 && momentum <= 1))
      opError('MDL3006', `batchnorm2d: momentum must be in [0, 1], got ${momentum}`);
    return [x!];
  },
  params([x], a) {
    const c = x!.shape[1] as number;
    const ps: ParamSpec[] = [];
    if (bool(a, 'affine'))
      ps.push(
        { name: 'weight', shape: [c], init: { kind: 'ones' } },
        { name: 'bias', shape: [c], init: { kind: 'zeros' } },
      );
    ps.push(
      { name: 'running_mean', shape: [c], init: { kind: 'zeros' }, buffer: true },
      { name: 'running_var', shape: [c], init: { kind: 'ones' }, buffer: true },
    );
    return ps;
  },
  cost: (c) => ({ macs: 0, flops: 4 * out0(c) }),
  // Training: batch mean and biased batch variance normalise; the running statistics move by
  // `momentum` towards the batch mean and the unbiased batch variance (torch.nn.BatchNorm2d).
  // Inference: the running statistics normalise.
  eval(inputs, a, ctx) {
    const affine = bool(a, 'affine');
    const x = inputs[0]!;
    const [w, bias] = affine ? [inputs[1]!, inputs[2]!] : [null, null];
    const ri = affine ? 3 : 1;
    const rm = inputs[ri]!;
    const rv = inputs[ri + 1]!;
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const eps = num(a, 'eps');
    const m = num(a, 'momentum');
    const y = ctx.alloc(x.shape);
    const hw = H * W;
    const count = N * hw;
    const newMean = ctx.alloc([C]);
    const newVar = ctx.alloc([C]);
    const training = batchStats(ctx.training, a);
    for (let c = 0; c < C; c++) {
      let mean: number;
      let v: number;
      if (training) {
        let s = 0;
        for (let n = 0; n < N; n++) for (let k = 0; k < hw; k++) s += x.data[(n * C + c) * hw + k]!;
        mean = s / count;
        let q = 0;
        for (let n = 0; n < N; n++)
          for (let k = 0; k < hw; k++) {
            const d = x.data[(n * C + c) * hw + k]! - mean;
            q += d * d;
          }
        v = q / count;
        newMean.data[c] = (1 - m) * rm.data[c]! + m * mean;
        newVar.data[c] = (1 - m) * rv.data[c]! + (m * q) / (count - 1);
      } else {
        mean = rm.data[c]!;
        v = rv.data[c]!;
      }
      const inv = 1 / Math.sqrt(v + eps);
      const scale = w ? w.data[c]! : 1;
      const shift = bias ? bias.data[c]! : 0;
      for (let n = 0; n < N; n++)
        for (let k = 0; k < hw; k++) {
          const i = (n * C + c) * hw + k;
          y.data[i] = (x.data[i]! - mean) * inv * scale + shift;
        }
    }
    if (training) {
      ctx.writeBuffer(ri, newMean);
      ctx.writeBuffer(ri + 1, newVar);
    }
    return [y];
  },
  // y = w·x̂ + b with x̂ = N(x). The VJP of x̂ is batchnorm2d_grad_input (in training mode
  // (1/σ)(g − mean g − x̂·mean(g x̂)), in inference mode g/σ); that operator is symmetric, so
  // the JVP uses it too. dw = Σ g·x̂ over N, H, W; db = Σ g. In training mode with an affine
  // weight the VJP is the single node batchnorm2d_grad, which computes all three.
  vjp(b, n, [g], needs) {
    if (!g) return n.inputs.map(() => null);
    const { x, w, rm, rv, eps, training } = parts(b, n);
    const out: (ValueId | null)[] = n.inputs.map(() => null);
    const C = b.shape(x)[1] as number;
    if (training && w && needs[0]) {
      // With batch statistics the three gradients share the statistics and two sums: one node
      // (one kernel) computes them all.
      const [dx, dw, db] = b.op('batchnorm2d_grad', [g, x, rv, w], { eps });
      out[0] = dx!;
      if (needs[1]) out[1] = dw!;
      if (needs[2]) out[2] = db!;
      return out;
    }
    if (needs[0])
      out[0] = b.op1('batchnorm2d_grad_input', [w ? b.op1('mul', [g, b.reshape(w, [C, 1, 1])]) : g, x, rv], {
        eps,
        training,
      });
    if (w && needs[1])
      out[1] = b.op1('sum', [b.op1('mul', [g, b.op1('batchnorm2d_normalize', [x, rm, rv], { eps, training })])], {
        axes: [0, 2, 3],
      });
    if (w && needs[2]) out[2] = b.op1('sum', [g], { axes: [0, 2, 3] });
    return out;
  },
  jvp(b, n, tangents) {
    const { x, w, rm, rv, eps, training } = parts(b, n);
    const [tx, tw, tb] = w ? tangents : [tangents[0], null, null];
    const C = b.shape(x)[1] as number;
    const outShape = b.shape(n.outputs[0]!);
    const col = (v: ValueId) => b.reshape(v, [C, 1, 1]);
    let t: ValueId | null = null;
    if (tx) {
      const d = b.op1('batchnorm2d_grad_input', [tx, x, rv], { eps, training });
      t = w ? b.op1('mul', [d, col(w)]) : d;
    }
    if (tw) t = b.add(t, b.op1('mul', [b.op1('batchnorm2d_normalize', [x, rm, rv], { eps, training }), col(tw)]));
    if (tb) t = b.add(t, b.expandTo(col(tb), outShape));
    return [t];
  },
};

function parts(b: IrBuilder, n: { inputs: readonly ValueId[]; attrs: Readonly<Record<string, unknown>> }) {
  const affine = n.attrs['affine'] as boolean;
  const ri = affine ? 3 : 1;
  return {
    x: n.inputs[0]!,
    w: affine ? n.inputs[1]! : null,
    rm: n.inputs[ri]!,
    rv: n.inputs[ri + 1]!,
    eps: n.attrs['eps'] as number,
    training: batchStats(b.training, n.attrs),
  };
}

/** Whether a batchnorm layer normalises with batch statistics (and updates the running ones) in a pass of this mode. */
export function batchStats(training: boolean, attrs: Readonly<Record<string, unknown>>): boolean {
  return training && attrs['freeze_stats'] !== true;
}
