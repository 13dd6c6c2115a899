// The op registry: every op the language knows, by name. One op = one file = one `OpDef`
// (activations: one file per function, in pointwise/).
//
// ── Conventions the elaborator (argument binder) must follow ─────────────────────────────────
// `infer`, `params` and `cost` receive attributes exactly as `OpDef.args` declares them, with
// every argument present (defaults filled in) and already type-checked:
//   - `tensor` / `tensors` args never appear in attrs; they are the `inputs` array, in order
//     (for `tensors`, e.g. concat's `xs`, all the tensors). Ops with no tensor args
//     (`param`, `constant`) get `inputs = []`.
//   - `int2` arrives as a two-element array `[h, w]` (a bare int n normalised to `[n, n]`).
//     An `int2` whose default is `null` (maxpool2d/avgpool2d `stride`) arrives as `null` when not
//     given and the op substitutes the kernel.
//   - `ints` arrives as an array of numbers (a single int normalised to a one-element array).
//     (The ops also tolerate a bare number for `int2` and `ints`, but the binder should
//     normalise: attrs end up in the IR and later stages read them.)
//   - `shape` arrives as an array of numbers and symbolic-dim strings, `-1` kept as the number -1.
//   - `int?` / `float?` arrive as a number or `null` (for `none`, and for a null default).
//   - `float` args may arrive as integer-valued numbers (an int literal is accepted).
//   - `string` args with `oneOf` are expected to be checked by the binder (MDL3006); the ops
//     re-check the ones they depend on.
//   - An op's own validation of values (positive sizes, p in [0, 1), …) throws `OpError`
//     with MDL3006; shape problems throw MDL4xxx. Messages start with `opname:`.
//   - `split` has `outputs(attrs)`: `[n]` → n outputs, a longer list → its length.
//   - `param` declares one ParamSpec with name '' (the parameter is the node's own name).
//
// ── FLOP convention ──────────────────────────────────────────────────────────────────────────
// MACs count only multiply-accumulates of conv2d, linear and matmul (torchvision/fvcore style);
// FLOPs count every floating-point operation, with a multiply-accumulate as 2. Each op states its
// count once, in its cost rule (with the reason beside it); the per-element counts and the
// algebraic properties are tabulated from this registry in docs/language.md
// (`npm run grammar:generate`). Internal ops (backward and optimizer, internal/) count the work
// they do: a layer's weight and input gradients each cost the forward layer's MACs.
import type { Attrs, AttrValue } from '../ir/types.js';
import { longForm, type OpDef } from './types.js';
import { ACTIVATIONS, type ActivationName } from './pointwise/index.js';
import { activationOp } from './pointwise/op.js';
import { adaptive_avgpool2d } from './adaptive_avgpool2d.js';
import { adaptive_maxpool2d } from './adaptive_maxpool2d.js';
import { add } from './add.js';
import { avgpool2d } from './avgpool2d.js';
import { batchnorm2d } from './batchnorm2d.js';
import { concat } from './concat.js';
import { constant } from './constant.js';
import { conv2d } from './conv2d.js';
import { conv_transpose2d } from './conv_transpose2d.js';
import { cross_entropy } from './cross_entropy.js';
import { div } from './div.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { exit } from './exit.js';
import { expand } from './expand.js';
import { flatten } from './flatten.js';
import { gather } from './gather.js';
import { global_avgpool } from './global_avgpool.js';
import { groupnorm } from './groupnorm.js';
import { identity } from './identity.js';
import { layernorm } from './layernorm.js';
import { linear } from './linear.js';
import { log_softmax } from './log_softmax.js';
import { matmul } from './matmul.js';
import { maxpool2d } from './maxpool2d.js';
import { mean } from './mean.js';
import { mse } from './mse.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { optional } from './optional.js';
import { pad } from './pad.js';
import { param } from './param.js';
import { permute } from './permute.js';
import { reshape } from './reshape.js';
import { select } from './select.js';
import { slice } from './slice.js';
import { softmax } from './softmax.js';
import { split } from './split.js';
import { squeeze } from './squeeze.js';
import { sub } from './sub.js';
import { sum } from './sum.js';
import { token_mask } from './token_mask.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';
import { upsample } from './upsample.js';
import { where } from './where.js';
import { zero } from './zero.js';
import { act_grad } from './internal/act_grad.js';
import { act_grad2 } from './internal/act_grad2.js';
import { adam_update } from './internal/adam_update.js';
import { avgpool2d_grad } from './internal/avgpool2d_grad.js';
import { batchnorm2d_grad } from './internal/batchnorm2d_grad.js';
import { batchnorm2d_grad_input } from './internal/batchnorm2d_grad_input.js';
import { batchnorm2d_normalize } from './internal/batchnorm2d_normalize.js';
import { conv2d_grad_input } from './internal/conv2d_grad_input.js';
import { conv2d_grad_weight } from './internal/conv2d_grad_weight.js';
import { cross_entropy_grad } from './internal/cross_entropy_grad.js';
import { dropout_mask } from './internal/dropout_mask.js';
import { embedding_grad } from './internal/embedding_grad.js';
import { gather_grad } from './internal/gather_grad.js';
import { inference_dropout } from './internal/inference_dropout.js';
import { layernorm_grad_input } from './internal/layernorm_grad_input.js';
import { layernorm_normalize } from './internal/layernorm_normalize.js';
import { linear_grad_weight } from './internal/linear_grad_weight.js';
import { maxpool2d_grad } from './internal/maxpool2d_grad.js';
import { maxpool2d_select } from './internal/maxpool2d_select.js';
import { mse_grad } from './internal/mse_grad.js';
import { reduce_grad } from './internal/reduce_grad.js';
import { sgd_update } from './internal/sgd_update.js';
import { slice_grad } from './internal/slice_grad.js';
import { patch_project } from './internal/patch_project.js';
import { patch_reconstruct } from './internal/patch_reconstruct.js';
import { stop_gradient } from './internal/stop_gradient.js';
import { sum_to } from './internal/sum_to.js';
import { upsample_grad } from './internal/upsample_grad.js';

/** Every activation of pointwise/, as an op. */
const ACTIVATION_OPS = Object.fromEntries(Object.entries(ACTIVATIONS).map(([k, a]) => [k, activationOp(a)])) as {
  readonly [K in ActivationName]: OpDef;
};

export const OPS = {
  // compute
  conv2d,
  conv_transpose2d,
  linear,
  matmul,
  // elementwise
  add,
  sub,
  mul,
  div,
  neg,
  where,
  // activations (pointwise/)
  ...ACTIVATION_OPS,
  softmax,
  log_softmax,
  // normalisation
  batchnorm2d,
  layernorm,
  groupnorm,
  // pooling and reductions
  maxpool2d,
  avgpool2d,
  global_avgpool,
  adaptive_avgpool2d,
  adaptive_maxpool2d,
  upsample,
  mean,
  sum,
  // layout
  flatten,
  reshape,
  transpose,
  permute,
  concat,
  slice,
  select,
  split,
  unsqueeze,
  squeeze,
  expand,
  pad,
  embedding,
  gather,
  // regularisation and placeholders
  dropout,
  token_mask,
  identity,
  zero,
  // anytime networks (compiler/anytime/)
  optional,
  exit,
  // losses
  cross_entropy,
  mse,
  // sources
  param,
  constant,
} as const satisfies Record<string, OpDef>;

export type OpName = keyof typeof OPS;

/**
 * Ops that passes emit but .mdl cannot call: the backward ops of autodiff and the optimizer
 * updates (one file each in internal/). They live in the IR like any op — shape rule, cost, eval, derivative rules — but
 * are not part of the language (not callable, not listed by `mdl ops`).
 */
export const INTERNAL_OPS = {
  conv2d_grad_input,
  conv2d_grad_weight,
  linear_grad_weight,
  sum_to,
  reduce_grad,
  act_grad,
  act_grad2,
  batchnorm2d_normalize,
  batchnorm2d_grad_input,
  batchnorm2d_grad,
  layernorm_normalize,
  layernorm_grad_input,
  maxpool2d_grad,
  maxpool2d_select,
  avgpool2d_grad,
  upsample_grad,
  slice_grad,
  embedding_grad,
  gather_grad,
  dropout_mask,
  // in-place distillation of anytime networks (compiler/anytime/)
  stop_gradient,
  // inference-time noise (compiler/rashomon/)
  inference_dropout,
  // low-rank backward rewrites (compiler/rewrites/)
  patch_project,
  patch_reconstruct,
  cross_entropy_grad,
  mse_grad,
  // optimizer updates
  sgd_update,
  adam_update,
} as const satisfies Record<string, OpDef>;

/** Every op an IR graph may hold: the language's and the internal ones. */
export const ALL_OPS: Readonly<Record<string, OpDef>> = Object.freeze({ ...OPS, ...INTERNAL_OPS });

// Maps, not property lookups on the registry objects: every pass asks for every node's op
// (and a Map has no inherited keys: `toString` is not an op).
const OP_MAP: ReadonlyMap<string, OpDef> = new Map(Object.entries(OPS));
const ALL_OP_MAP: ReadonlyMap<string, OpDef> = new Map(Object.entries(ALL_OPS));

/** The language op called `name`, or undefined. */
export function getOp(name: string): OpDef | undefined {
  return OP_MAP.get(name);
}

/** Any op of the IR (language or internal) called `name`: what passes over graphs use. */
export function lookupOp(name: string): OpDef | undefined {
  return ALL_OP_MAP.get(name);
}

const DEFAULTS = new Map<string, Attrs>();

/**
 * The attributes op `name` takes when none are given, in the form the binder stores them
 * (`stride: 1` as [1, 1]); required attributes are absent. Printers leave these out.
 */
export function defaultAttrs(name: string): Attrs | undefined {
  let d = DEFAULTS.get(name);
  if (!d) {
    const op = ALL_OP_MAP.get(name);
    if (!op) return undefined;
    const out: Record<string, AttrValue> = {};
    for (const s of op.args) if (s.default !== undefined) out[s.name] = longForm(s, s.default);
    DEFAULTS.set(name, (d = out));
  }
  return d;
}

export const OP_NAMES: readonly string[] = Object.freeze(Object.keys(OPS));
