// The per-op lowering table: how each IR op becomes kernel code, keyed by op name. Passes never
// switch over op names; they look an op up here. An entry is a lowering, or a choice of
// lowering by mode (batchnorm normalises with running statistics in inference — a pointwise
// map fused into its producer's epilogue — and computes batch statistics in training, a
// reduction kernel of its own). The table's type is a full mapped type over the op-name union,
// so an op registered without a lowering is a `tsc` error naming it; activations are lowered
// from their one definition (compiler/ops/pointwise/) and need no entry.
import type { Node } from '../ir/types.js';
import { OPS, type INTERNAL_OPS } from '../ops/registry.js';
import { ACTIVATIONS, type ActivationName } from '../ops/pointwise/index.js';
import { KernelError, type Lowering } from './lowering.js';
import * as P from './lower/pointwise.js';
import * as V from './lower/views.js';
import { conv2d } from './lower/conv.js';
import { conv2dGradInput, convTranspose2d } from './lower/convgradinput.js';
import { conv2dGradWeight } from './lower/convgradweight.js';
import { linear, linearGradWeight, matmul } from './lower/matmul.js';
import { mean, reduceGrad, sum, sumTo } from './lower/reduce.js';
import {
  adaptiveAvgpool2d,
  adaptiveMaxpool2d,
  avgpool2d,
  avgpool2dGrad,
  globalAvgpool,
  maxpool2d,
  maxpool2dGrad,
  maxpool2dSelect,
} from './lower/pool.js';
import { logSoftmax, softmax } from './lower/softmax.js';
import { upsample, upsampleGrad } from './lower/upsample.js';
import {
  batchnormGrad,
  batchnormGradInput,
  batchnormInference,
  batchnormNormalize,
  batchnormTraining,
} from './lower/batchnorm.js';
import { groupnorm, layernorm, layernormGradInput } from './lower/layernorm.js';
import { crossEntropy, crossEntropyGrad, mse, mseGrad } from './lower/loss.js';
import { dropout, dropoutMask } from './lower/dropout.js';
import { batchStats } from '../ops/batchnorm2d.js';
import { embedding, embeddingGrad } from './lower/embedding.js';
import { gather, gatherGrad, tokenMask } from './lower/tokens.js';
import { inferenceDropout } from './lower/inference_dropout.js';
import { adamUpdate, sgdUpdate } from './lower/optimizer.js';
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
  conv_transpose2d: convTranspose2d,
  linear,
  matmul,
  // elementwise
  add: P.binaryOp(OPS.add.rule),
  sub: P.binaryOp(OPS.sub.rule),
  mul: P.binaryOp(OPS.mul.rule),
  div: P.binaryOp(OPS.div.rule),
  neg: P.unaryOp(OPS.neg.rule),
  where: P.where,
  // activations
  softmax,
  log_softmax: logSoftmax,
  // normalisation
  batchnorm2d: { byMode: (training, n) => (batchStats(training, n.attrs) ? batchnormTraining : batchnormInference) },
  layernorm,
  groupnorm,
  // pooling and reductions
  maxpool2d,
  avgpool2d,
  global_avgpool: globalAvgpool,
  adaptive_avgpool2d: adaptiveAvgpool2d,
  adaptive_maxpool2d: adaptiveMaxpool2d,
  upsample,
  mean,
  sum,
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
  embedding,
  gather,
  // regularisation and placeholders
  dropout: { byMode: (training, n) => (training && (n.attrs['p'] as number) > 0 ? dropout : V.identity) },
  token_mask: tokenMask,
  identity: V.identity,
  // the full network: `optional` is its path (sub-networks are specialised before they are planned)
  optional: V.identity,
  exit: V.identity,
  zero: P.zeroOp,
  // losses
  cross_entropy: crossEntropy,
  mse,
  // sources: a parameter node is its parameter's buffer; a constant is a literal.
  param: V.identity,
  constant: P.constant,
  // ── internal ops: derivatives (autodiff) and optimizer updates ──
  conv2d_grad_input: conv2dGradInput,
  conv2d_grad_weight: conv2dGradWeight,
  linear_grad_weight: linearGradWeight,
  sum_to: sumTo,
  reduce_grad: reduceGrad,
  act_grad: P.actGrad,
  act_grad2: P.actGrad2,
  batchnorm2d_normalize: batchnormNormalize,
  batchnorm2d_grad_input: batchnormGradInput,
  batchnorm2d_grad: batchnormGrad,
  layernorm_normalize: layernorm,
  layernorm_grad_input: layernormGradInput,
  maxpool2d_grad: maxpool2dGrad,
  maxpool2d_select: maxpool2dSelect,
  avgpool2d_grad: avgpool2dGrad,
  upsample_grad: upsampleGrad,
  slice_grad: V.sliceGrad,
  embedding_grad: embeddingGrad,
  gather_grad: gatherGrad,
  // low-rank backward rewrites
  patch_project: patchProject,
  patch_reconstruct: patchReconstruct,
  dropout_mask: dropoutMask,
  inference_dropout: inferenceDropout,
  stop_gradient: V.identity,
  cross_entropy_grad: crossEntropyGrad,
  mse_grad: mseGrad,
  sgd_update: sgdUpdate,
  adam_update: adamUpdate,
};

export const LOWERINGS: { readonly [K in AnyOpName]: LoweringEntry } = { ...OP_LOWERINGS, ...ACTIVATION_LOWERINGS };

/** The lowering of a node in a mode; KernelError for an op without one. */
export function loweringFor(n: Node, training: boolean): Lowering {
  const e = (LOWERINGS as Record<string, LoweringEntry | undefined>)[n.op];
  if (!e) throw new KernelError(`no kernel lowering for op \`${n.op}\` (node ${n.name}) yet`);
  return 'byMode' in e ? e.byMode(training, n) : e;
}
