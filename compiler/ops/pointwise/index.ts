// The activations of the language, each written once (one file per function, see fn.ts). The
// op registry makes each an op (op.ts); the kernel lowering and the derivative ops read the
// same definitions. Adding an activation: its file here, and one line in this table.
import type { Activation, PointwiseFn } from './fn.js';
import { abs } from './abs.js';
import { clamp } from './clamp.js';
import { elu } from './elu.js';
import { exp } from './exp.js';
import { gelu } from './gelu.js';
import { hardsigmoid } from './hardsigmoid.js';
import { hardswish } from './hardswish.js';
import { leaky_relu } from './leaky_relu.js';
import { log } from './log.js';
import { pow } from './pow.js';
import { relu } from './relu.js';
import { relu6 } from './relu6.js';
import { sigmoid } from './sigmoid.js';
import { silu } from './silu.js';
import { softplus } from './softplus.js';
import { sqrt } from './sqrt.js';
import { tanh } from './tanh.js';

export const ACTIVATIONS = {
  relu,
  relu6,
  gelu,
  silu,
  sigmoid,
  tanh,
  hardswish,
  hardsigmoid,
  leaky_relu,
  elu,
  softplus,
  // elementwise arithmetic
  exp,
  log,
  sqrt,
  abs,
  pow,
  clamp,
} as const satisfies Record<string, Activation>;

export type ActivationName = keyof typeof ACTIVATIONS;

const FNS: ReadonlyMap<string, PointwiseFn> = new Map(
  Object.values(ACTIVATIONS).flatMap((a: Activation) => a.fns.map((f) => [f.name, f] as const)),
);

/** Names of every pointwise function (derivative nodes carry one). */
export const POINTWISE_NAMES: readonly string[] = [...FNS.keys()];

/** The pointwise function called `name` (`gelu_tanh`), or undefined. */
export function pointwiseFn(name: string): PointwiseFn | undefined {
  return FNS.get(name);
}
