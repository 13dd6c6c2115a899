// The IR: a static SSA graph. Values are tensors with fully known shapes (a dim may be a
// symbol such as the batch `B`), nodes are op applications, and parameters are explicit
// graph inputs with names, shapes and initialisers. Every node keeps its source span and its
// hierarchical name, so later stages (summaries, rewrites, kernels) speak the user's names.
import type { Init } from '../../runtime/plan/types.js';
import type { Span } from '../source.js';

/** A dimension: a number, or the name of a symbolic dimension bound at analysis time. */
export type Dim = number | string;
export type Shape = readonly Dim[];
export type DType = 'f32' | 'f16' | 'i32';

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f16: 2, i32: 4 };

export interface TensorType {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** An attribute value, as ops receive them after argument binding. */
export type AttrValue = number | boolean | string | null | readonly AttrValue[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** How a parameter is initialised (part of the plan format: the runtime draws the values). */
export type { Init };

export type ValueId = number;

export type ValueKind =
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'param'; readonly param: ParamId }
  | { readonly kind: 'node'; readonly node: NodeId; readonly index: number };

export interface Value {
  readonly id: ValueId;
  readonly type: TensorType;
  readonly def: ValueKind;
}

export type ParamId = number;

export interface Param {
  readonly id: ParamId;
  /** Full hierarchical name, e.g. `layer2.1.conv1.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly init: Init;
  /** A buffer (batchnorm running statistics) is state, not a parameter: never trained, not counted. */
  readonly buffer: boolean;
  readonly trainable: boolean;
  readonly value: ValueId;
}

export type NodeId = number;

export interface Node {
  readonly id: NodeId;
  readonly op: string;
  /** Hierarchical name, unique within the graph: `layer2.1.conv1`. */
  readonly name: string;
  /** Data inputs first, then the node's parameter values in the op's declared order. */
  readonly inputs: readonly ValueId[];
  /** How many of `inputs` are data (the rest are parameters). */
  readonly dataInputs: number;
  readonly outputs: readonly ValueId[];
  readonly attrs: Attrs;
  readonly span: Span;
  /** The chain of block calls that produced this node, outermost first (for grouping). */
  readonly scope: readonly string[];
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueId[];
  readonly outputs: readonly { readonly name: string; readonly value: ValueId }[];
  readonly values: readonly Value[];
  readonly nodes: readonly Node[];
  readonly params: readonly Param[];
  /** Symbolic dims that appear in input types, in order of first appearance. */
  readonly symbols: readonly string[];
}
