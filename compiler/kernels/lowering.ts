// How an IR op becomes kernel code: the contract of the per-op lowering table (table.ts).
// There are three kinds of lowering:
//  - `view`: the output is the input re-indexed, with no data movement when the input is a
//    strided view of a buffer (reshape, flatten, transpose, slice, select, expand, …); when the
//    input is a fused expression the same op re-indexes it (`at`).
//  - `pointwise`: each output element is an expression of input elements at computable indices
//    (elementwise arithmetic, activations, pad, concat, inference batchnorm, dropout). The
//    fuser inlines these into the kernel of whatever consumes them.
//  - `kernel`: the op is the anchor of its own kernel (matmul, conv, pooling, reductions,
//    norms with batch statistics, losses). Its outputs are written element by element through
//    `emit`, which applies the fused epilogue (the elementwise chain that consumes the output).
import type { KernelBuilder } from './builder.js';
import type { Expr } from './ir.js';
import type { Attrs, Node } from '../ir/types.js';
import type { Target } from './target.js';

/** A strided layout of a buffer: element (i0, i1, …) lies at offset + Σ i_d·strides[d]. */
export interface Layout {
  readonly offset: number;
  readonly strides: readonly number[];
}

/** A value read as a strided view of the buffer owned by value `base`. */
export interface View extends Layout {
  readonly base: number;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'i32';
}

/** How a kernel reads one input value. */
export interface Accessor {
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'i32';
  /** The element at a multi-index (emitting whatever computation a fused producer needs). */
  at(idx: readonly Expr[]): Expr;
  /** Present when the value is a strided view of a buffer: kernels may load it directly (vec4). */
  readonly view?: View;
}

export interface PointCtx {
  readonly b: KernelBuilder;
  readonly node: Node;
  readonly attrs: Attrs;
  /** Data inputs, then parameters. */
  readonly inputs: readonly Accessor[];
  readonly outShapes: readonly (readonly number[])[];
  readonly training: boolean;
  /** The run's seed and step (uniforms; dropout). */
  rng(): { seed: Expr; step: Expr };
}

export interface AnchorCtx extends PointCtx {
  readonly target: Target;
  /** Tile overrides by kernel family (autotuning, experiments); absent: the heuristics. */
  readonly tiles?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The binding name of `view`'s buffer read with element type `elem`. */
  bind(view: View, elem: 'f32' | 'i32' | 'vec4f'): string;
  /** Writes output `out` at multi-index `idx` (through the fused epilogue, if any). */
  emit(out: number, idx: readonly Expr[], v: Expr): void;
  /** Writes element `i` of input `input` (a state buffer: batchnorm's running statistics). */
  update(input: number, i: Expr, v: Expr): void;
  /** The dispatch: workgroup counts and the workgroup size. */
  grid(workgroups: readonly [number, number, number], size: readonly [number, number, number]): void;
  /**
   * Reports that input `input` is a strided view this lowering cannot address (a GEMM reduction
   * over dims that do not collapse to one stride). The lowering then returns without building
   * further: the planner discards the kernel, materialises that input as a contiguous buffer
   * and plans again.
   */
  needsContiguous(input: number): void;
}

export interface ViewLowering {
  readonly kind: 'view';
  /** The output's layout from the input's (a view of input 0); null when not expressible. */
  layout(
    input: Layout & { readonly shape: readonly number[] },
    node: Node,
    outShapes: readonly (readonly number[])[],
    out: number,
  ): Layout | null;
  /** The general form: output element `idx` of output `out`, read through the input. */
  at(ctx: PointCtx, idx: readonly Expr[], out: number): Expr;
  /** The output keeps the input's flat order (reshape family): a fused epilogue may pass through. */
  readonly flat?: boolean;
}

export interface PointwiseLowering {
  readonly kind: 'pointwise';
  at(ctx: PointCtx, idx: readonly Expr[], out: number): Expr;
  /**
   * Reads every input of the output's shape at the output's own index (true for elementwise
   * ops): such an input may be the output of a kernel whose epilogue this op joins.
   */
  readonly elementwise?: boolean;
  /** Cheap enough to recompute in every consumer (constants): never materialised for sharing. */
  readonly cheap?: boolean;
  /** The one value every element has, when it does not depend on the index (constants). */
  uniform?(node: Node): number;
}

export interface KernelLowering {
  readonly kind: 'kernel';
  /** Inputs (by position, data then params) the kernel reads as buffers; others may be fused. */
  buffers(node: Node): readonly number[] | 'all';
  build(ctx: AnchorCtx): void;
  /** Each output element reads only the same element of its same-shaped inputs (optimizer updates). */
  readonly elementwise?: boolean;
}

export type Lowering = ViewLowering | PointwiseLowering | KernelLowering;

/** A lowering failure: an op without a lowering, or a model that breaks an adapter limit. */
export class KernelError extends Error {}
