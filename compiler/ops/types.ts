// The contract every op in the registry fulfils. One op = one file = one `OpDef` (activations:
// one file per pointwise function, pointwise/): its arguments, its shape rule (with readable
// errors), its parameters and initialisers, its cost, its algebraic properties (which the
// structural analyses rely on), its reference evaluation (`eval`, run by the CPU interpreter in
// compiler/interp/), and its derivative rules (`vjp` for reverse mode, `jvp` for forward mode),
// which emit ordinary IR ops through an `IrBuilder`. Every field is required, so `tsc` names an
// op that lacks one; the WGSL lowering of every op is a table keyed by the op-name union
// (compiler/kernels/table.ts), so `tsc` names an op without one there too.
import type { DiagnosticCode } from '../diagnostics/codes.js';
import type { Attrs, AttrValue, Init, Node, Shape, TensorType, ValueId } from '../ir/types.js';
import type { Tensor } from '../reference/tensor.js';

export type { Tensor } from '../reference/tensor.js';

/**
 * How an argument is written in .mdl and what the op receives:
 * - `tensor`: one tensor (goes to `inputs`);
 * - `tensors`: all remaining positional tensors, or one list of tensors (goes to `inputs`);
 * - `int`, `float` (an int is accepted), `bool`, `string`: a scalar attribute;
 * - `int2`: an int or a pair, normalised to `[h, w]`;
 * - `ints`: a list of ints (a single int is accepted as a one-element list);
 * - `floats`: a list of numbers (a single number is accepted as a one-element list);
 * - `shape`: a list of dims: ints (−1 allowed where the op says so) or symbolic dims;
 * - `int?` / `float?`: as `int` / `float`, or `none`.
 */
export type ArgType =
  'tensor' | 'tensors' | 'int' | 'float' | 'bool' | 'string' | 'int2' | 'ints' | 'floats' | 'shape' | 'int?' | 'float?';

/**
 * An attribute value in the form the IR stores it: a bare number for an `int2` is the pair
 * [n, n], for `ints` and `floats` a one-element list (defaults are written short: `stride: 1`).
 */
export function longForm(spec: ArgSpec, v: AttrValue): AttrValue {
  if (spec.type === 'int2' && typeof v === 'number') return [v, v];
  if ((spec.type === 'ints' || spec.type === 'floats') && typeof v === 'number') return [v];
  return v;
}

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Absent: the argument is required. */
  readonly default?: AttrValue;
  /** For `string` arguments: the accepted values. */
  readonly oneOf?: readonly string[];
  readonly doc?: string;
  /**
   * For an argument added after canonical hashes were published (search logs and score
   * tables key rows by them): left out of the hash while it has its default, so a graph that
   * does not use it keeps the hash it had before the argument existed.
   */
  readonly addedLater?: true;
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
  | 'regularization'
  | 'optimizer';

export interface ParamSpec {
  /** Suffix after the node name (`weight`, `bias`); empty: the node's own name. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  /** State that is not trained and not counted as a parameter (batchnorm running stats). */
  readonly buffer?: boolean;
}

/** The full name of a layer's parameter: the layer's name, then the spec's suffix if any. */
export function paramName(layer: string, spec: ParamSpec): string {
  return spec.name ? `${layer}.${spec.name}` : layer;
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

/**
 * Algebraic properties the structural analyses rely on (each a promise about every input the
 * op accepts; false when unsure, which only makes an analysis more conservative).
 */
export interface OpProps {
  /**
   * f = 0 when every data input is 0 (relu, pooling, layout ops): the functional view
   * (analysis/topology.ts) propagates zero through it, so `none` branches of NAS cells drop out
   * of the canonical hash, NN-Mass and the DTMC.
   */
  readonly zeroPreserving: boolean;
  /** Channel c of the output is channel c of the input (activations, norms, pooling): NN-Mass follows channels through it. */
  readonly channelTransparent: boolean;
  /**
   * f(s·x) = s·f(x) for s > 0, once additive parameters (biases, shifts) are scaled by s too and
   * batchnorm is the identity: SynFlow rescales a network made only of such ops exactly.
   */
  readonly homogeneous: boolean;
  /** The data inputs can be swapped (add, mul): the canonical hash sorts them. */
  readonly commutative: boolean;
}

export interface OpDef {
  readonly name: string;
  readonly kind: OpKind;
  /** One line for `mdl ops` and the language reference. */
  readonly doc: string;
  readonly props: OpProps;
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
  /**
   * Reference evaluation on the CPU: `inputs` are the node's inputs (data, then parameters),
   * with concrete shapes; returns one tensor per output, of the concrete shapes in
   * `ctx.outputs`, allocated with `ctx.alloc` (so float32 runs round once per op). Must not
   * modify its inputs. Kept simple and obviously correct: it is the oracle for kernels.
   */
  eval(inputs: readonly Tensor[], attrs: Attrs, ctx: EvalCtx): Tensor[];
  /**
   * Reverse mode. `null` declares the op not differentiable: autodiff refuses (with an error
   * naming the node) to propagate a gradient through it.
   */
  readonly vjp: VjpRule | null;
  /** Forward mode (Jacobian-vector product). `null`: not differentiable, as for `vjp`. */
  readonly jvp: JvpRule | null;
}

/** What the interpreter hands an op's `eval`. */
export interface EvalCtx {
  /** The concrete shapes of the node's outputs (symbolic dims bound). */
  readonly outputs: readonly (readonly number[])[];
  /** The binding of the graph's symbolic dims. */
  readonly dims: Readonly<Record<string, number>>;
  /** Float storage of this run: every float result is rounded to it when stored. */
  readonly precision: 'f64' | 'f32';
  /** Training mode (batchnorm uses batch statistics, dropout drops) or inference mode. */
  readonly training: boolean;
  /** The run's RNG seed and step: counter-based streams are keyed by (seed, key) and count from step. */
  readonly seed: number;
  readonly step: number;
  /** The node's name: the default key of its random stream. */
  readonly node: string;
  /** A zero-filled float tensor at the run's precision. */
  alloc(shape: readonly number[]): Tensor;
  /** A zero-filled i32 tensor. */
  allocInt(shape: readonly number[]): Tensor;
  /**
   * Gives input `index` (a buffer, such as batchnorm's running mean) a new value; the
   * interpreter applies it after the run and returns it as updated state.
   */
  writeBuffer(index: number, value: Tensor): void;
}

/**
 * Emits IR ops for a derivative rule. Shapes are inferred by the registry; attributes not
 * given take the op's defaults. Values are IR value ids.
 */
export interface IrBuilder {
  /** Whether the graph is differentiated in training mode (batchnorm batch statistics, dropout). */
  readonly training: boolean;
  type(v: ValueId): TensorType;
  shape(v: ValueId): Shape;
  /** A node of op `name` on `data` inputs (and, for ops owning parameters, `params` values). */
  op(
    name: string,
    data: readonly ValueId[],
    attrs?: Readonly<Record<string, AttrValue>>,
    params?: readonly ValueId[],
  ): ValueId[];
  /** `op` for single-output ops. */
  op1(
    name: string,
    data: readonly ValueId[],
    attrs?: Readonly<Record<string, AttrValue>>,
    params?: readonly ValueId[],
  ): ValueId;
  /** An f32 tensor filled with `value` (default a scalar). */
  constant(value: number, shape?: Shape): ValueId;
  /** Sum of two optional terms (null is zero); shapes must be equal. */
  add(a: ValueId | null, b: ValueId | null): ValueId | null;
  /** Sums `v` down to `shape` (undoing broadcasting); `v` itself when the shapes agree. */
  sumTo(v: ValueId, shape: Shape): ValueId;
  /** Broadcasts `v` to `shape`; `v` itself when the shapes agree. */
  expandTo(v: ValueId, shape: Shape): ValueId;
  /** Reshapes `v`; `v` itself when the shapes agree. */
  reshape(v: ValueId, shape: Shape): ValueId;
}

/**
 * Reverse mode: given the forward `node` (its inputs are data then parameters, its outputs
 * already computed) and one cotangent per output (null: zero), returns one cotangent per
 * input, each of that input's shape, or null (zero, or not needed, or not differentiable such
 * as integer targets). Only inputs with `needs[i]` may get ops emitted for them: a frozen
 * parameter gets no backward computation at all.
 */
export type VjpRule = (
  b: IrBuilder,
  node: Node,
  cots: readonly (ValueId | null)[],
  needs: readonly boolean[],
) => readonly (ValueId | null)[];

/**
 * Forward mode: given one tangent per input (null: zero), returns one tangent per output, of
 * that output's shape, or null (zero).
 */
export type JvpRule = (b: IrBuilder, node: Node, tangents: readonly (ValueId | null)[]) => readonly (ValueId | null)[];

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
