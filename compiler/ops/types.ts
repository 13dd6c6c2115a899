// The contract every op in the registry fulfils. One op = one file = one `OpDef`: its
// arguments, its shape rule (with readable errors), its parameters and initialisers, and its
// cost. Later stages add their rules (VJP, JVP, reference evaluation, WGSL lowering) as further
// required fields here, so the TypeScript compiler lists every op that still lacks one.
import type { DiagnosticCode } from '../diagnostics/codes.js';
import type { Attrs, AttrValue, Init, TensorType } from '../ir/types.js';

/**
 * How an argument is written in .mdl and what the op receives:
 * - `tensor`: one tensor (goes to `inputs`);
 * - `tensors`: all remaining positional tensors, or one list of tensors (goes to `inputs`);
 * - `int`, `float` (an int is accepted), `bool`, `string`: a scalar attribute;
 * - `int2`: an int or a pair, normalised to `[h, w]`;
 * - `ints`: a list of ints (a single int is accepted as a one-element list);
 * - `shape`: a list of dims: ints (−1 allowed where the op says so) or symbolic dims;
 * - `int?` / `float?`: as `int` / `float`, or `none`.
 */
export type ArgType = 'tensor' | 'tensors' | 'int' | 'float' | 'bool' | 'string' | 'int2' | 'ints' | 'shape' | 'int?' | 'float?';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Absent: the argument is required. */
  readonly default?: AttrValue;
  /** For `string` arguments: the accepted values. */
  readonly oneOf?: readonly string[];
  readonly doc?: string;
}

/** What an op is, for grouping in summaries and, later, for the fuser. */
export type OpKind =
  | 'conv'
  | 'matmul'
  | 'elementwise'
  | 'activation'
  | 'reduction'
  | 'normalization'
  | 'pool'
  | 'layout'
  | 'loss'
  | 'source'
  | 'regularization';

export interface ParamSpec {
  /** Suffix after the node name (`weight`, `bias`); empty: the node's own name. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  /** State that is not trained and not counted as a parameter (batchnorm running stats). */
  readonly buffer?: boolean;
}

/** Concrete shapes (symbolic dims bound) handed to cost rules. */
export interface CostArgs {
  readonly inputs: readonly (readonly number[])[];
  readonly params: readonly (readonly number[])[];
  readonly outputs: readonly (readonly number[])[];
  readonly attrs: Attrs;
}

export interface Cost {
  /** Multiply-accumulates of conv/linear/matmul (torchvision/fvcore convention); 0 elsewhere. */
  readonly macs: number;
  /** Floating-point operations of every kind, per the op's documented count. */
  readonly flops: number;
}

export interface OpDef {
  readonly name: string;
  readonly kind: OpKind;
  /** One line for `mdl ops` and the language reference. */
  readonly doc: string;
  /** Tensor arguments first, in call order, then attributes. */
  readonly args: readonly ArgSpec[];
  /** Number of outputs, when not 1 (e.g. `split`): computed from the attributes. */
  outputs?(attrs: Attrs): number;
  /**
   * The shape rule. Receives the data inputs only, and the bound, type-checked attributes.
   * Throws `OpError` with a message that names both offending shapes.
   */
  infer(inputs: readonly TensorType[], attrs: Attrs): readonly TensorType[];
  /** Parameters the op owns, in order; their values are appended to the node's inputs. */
  params?(inputs: readonly TensorType[], attrs: Attrs): readonly ParamSpec[];
  cost(c: CostArgs): Cost;
}

/** An error in applying an op; the elaborator adds the source span and the layer name. */
export class OpError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function opError(code: DiagnosticCode, message: string, hint?: string): never {
  throw new OpError(code, message, hint);
}
