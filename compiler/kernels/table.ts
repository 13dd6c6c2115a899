// The per-op lowering table: how each IR op becomes kernel code, keyed by op name. Passes never
// switch over op names; they look an op up here. An entry is a lowering, or a choice of
// lowering by mode (batchnorm normalises with running statistics in inference — a pointwise
// map fused into its producer's epilogue — and computes batch statistics in training, a
// reduction kernel of its own). The table's type is a full mapped type over the op-name union,
// so an op registered without a lowering is a `tsc` error naming it; activations are lowered
// from their one definition (compiler/ops/pointwise/) and need no entry.
import type { Node } from '../ir/types.js';
import type { OPS, INTERNAL_OPS } from '../ops/registry.js';
import { ACTIVATIONS, type ActivationName } from '../ops/pointwise/index.js';
import { KernelError, type Lowering } from './lowering.js';
import * as P from './lower/pointwise.js';
import * as V from './lower/views.js';
import * as R from './lower/reduce.js';
import { conv2d } from './lower/conv.js';
import { linear, matmul } from './lower/matmul.js';
import * as B from './lower/backward.js';
import { patchProject, patchReconstruct } from './lower/rewrites.js';

export type LoweringEntry = Lowering | { readonly byMode: (training: boolean, node: Node) => Lowering };

export type ForwardOpName = keyof typeof OPS;
export type InternalOpName = keyof typeof INTERNAL_OPS;
export type AnyOpName = ForwardOpName | InternalOpName;

/** Every activation's lowering, from its definition. */
const ACTIVATION_LOWERINGS = Object.fromEntries(Object.entries(ACTIVATIONS).map(([k, a]) => [k, P.activation(a)])) as {
  readonly [K in ActivationName]: LoweringEntry;
};

/** Every other op's lowering, the language's and the internal ones. */
const OP_LOWERINGS: { readonly [K in Exclude<AnyOpName, ActivationName>]: LoweringEntry } = {
  // compute
  conv2d,
  linear,
  matmul,
  // elementwise
  add: P.add,
  sub: P.sub,
  mul: P.mul,
  div: P.div,
  neg: P.neg,
  // activations
  softmax: R.softmax,
  log_softmax: R.logSoftmax,
  // normalisation
  batchnorm2d: { byMode: (training) => (training ? R.batchnormTraining : P.batchnormInference) },
  layernorm: R.layernorm,
  // pooling and reductions
  maxpool2d: R.maxpool2d,
  avgpool2d: R.avgpool2d,
  global_avgpool: R.globalAvgpool,
  mean: R.mean,
  sum: R.sum,
  // layout
  flatten: V.reshape,
  reshape: V.reshape,
  squeeze: V.reshape,
  unsqueeze: V.reshape,
  transpose: V.permute,
  permute: V.permute,
  concat: P.concat,
  slice: V.slice,
  select: V.select,
  split: V.split,
  expand: V.expand,
  pad: P.pad,
  // regularisation and placeholders
  dropout: { byMode: (training, n) => (training && (n.attrs['p'] as number) > 0 ? P.dropout : V.identity) },
  identity: V.identity,
  zero: P.zeroOp,
  // losses
  cross_entropy: R.crossEntropy,
  mse: R.mse,
  // sources: a parameter node is its parameter's buffer; a constant is a literal.
  param: V.identity,
  constant: P.constant,
  // ── internal ops: derivatives (autodiff) and optimizer updates ──
  conv2d_grad_input: B.conv2dGradInput,
  conv2d_grad_weight: B.conv2dGradWeight,
  linear_grad_weight: B.linearGradWeight,
  sum_to: B.sumTo,
  reduce_grad: B.reduceGrad,
  act_grad: B.actGrad,
  act_grad2: B.actGrad2,
  batchnorm2d_normalize: B.batchnormNormalize,
  batchnorm2d_grad_input: B.batchnormGradInput,
  layernorm_normalize: R.layernorm,
  layernorm_grad_input: B.layernormGradInput,
  maxpool2d_grad: B.maxpool2dGrad,
  maxpool2d_select: B.maxpool2dSelect,
  avgpool2d_grad: B.avgpool2dGrad,
  slice_grad: B.sliceGrad,
  // low-rank backward rewrites
  patch_project: patchProject,
  patch_reconstruct: patchReconstruct,
  dropout_mask: B.dropoutMask,
  cross_entropy_grad: B.crossEntropyGrad,
  mse_grad: B.mseGrad,
  sgd_update: B.sgdUpdate,
  adam_update: B.adamUpdate,
};

export const LOWERINGS: { readonly [K in AnyOpName]: LoweringEntry } = { ...OP_LOWERINGS, ...ACTIVATION_LOWERINGS };

/** The lowering of a node in a mode; KernelError for an op without one. */
export function loweringFor(n: Node, training: boolean): Lowering {
  const e = (LOWERINGS as Record<string, LoweringEntry | undefined>)[n.op];
  if (!e) throw new KernelError(`no kernel lowering for op \`${n.op}\` (node ${n.name}) yet`);
  return 'byMode' in e ? e.byMode(training, n) : e;
}
