// The kernel IR: what one compute kernel does, independent of the shading language. Index
// arithmetic, loops, loads, stores, scalar (and vec4) expressions, workgroup memory and
// barriers — enough for fused elementwise chains, register-blocked matmuls, direct
// convolutions and reductions. Kernels are specialised to static shapes, so sizes appear as
// literals and the renderer (wgsl.ts) stays a thin printer; another target (Wasm SIMD) can
// render the same IR.
//
// Conventions: indices are i32; floats are f32; a `vec4f` is four f32. Every expression
// carries its type. Builtins are the u32 references `gid.x`, `lid.x`, `wid.x`, `nwg.x` (and
// .y/.z): global invocation id, local invocation id, workgroup id, number of workgroups.

export type ScalarType = 'f32' | 'i32' | 'u32' | 'bool';
export type VType = ScalarType | 'vec4f';

export type BinOp =
  '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||' | '&' | '|' | '^' | '<<' | '>>';
export type UnOp = 'neg' | 'not';
/** Built-in functions of the target; `erf` is a helper the renderer supplies. */
export type Fn =
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'inverseSqrt'
  | 'tanh'
  | 'abs'
  | 'pow'
  | 'floor'
  | 'ceil'
  | 'min'
  | 'max'
  | 'clamp'
  | 'dot'
  | 'fma'
  | 'pow'
  | 'erf'
  | 'philox_word';

export type Expr =
  | { readonly k: 'lit'; readonly t: ScalarType; readonly v: number | boolean }
  | { readonly k: 'ref'; readonly t: VType; readonly name: string }
  | { readonly k: 'bin'; readonly t: VType; readonly op: BinOp; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'un'; readonly t: VType; readonly op: UnOp; readonly a: Expr }
  | { readonly k: 'call'; readonly t: VType; readonly fn: Fn; readonly args: readonly Expr[] }
  /** c ? a : b (both sides are evaluated). */
  | { readonly k: 'sel'; readonly t: VType; readonly c: Expr; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'cast'; readonly t: ScalarType; readonly a: Expr }
  /** Element `i` of storage binding `buf` (of element type t). */
  | { readonly k: 'load'; readonly t: VType; readonly buf: string; readonly i: Expr }
  /** Element `i` of a workgroup or private array. */
  | { readonly k: 'elem'; readonly t: VType; readonly arr: string; readonly i: Expr }
  /** Component `i` (0..3) of a vec4. */
  | { readonly k: 'lane'; readonly t: 'f32'; readonly a: Expr; readonly i: number }
  /** vec4f(a, b, c, d), or a splat of one scalar. */
  | { readonly k: 'vec'; readonly t: 'vec4f'; readonly args: readonly Expr[] };

export type Stmt =
  /** `let name = e` (immutable) or `var name: t = e`. */
  | { readonly k: 'let'; readonly name: string; readonly t: VType; readonly e: Expr; readonly mut: boolean }
  /** A private array `var name: array<t, n>`. */
  | { readonly k: 'arr'; readonly name: string; readonly t: VType; readonly n: number }
  /** name (op)= e, for a `var`. */
  | { readonly k: 'set'; readonly name: string; readonly e: Expr; readonly op?: '+' | '*' }
  /** arr[i] = e, for a private or workgroup array. */
  | { readonly k: 'setelem'; readonly arr: string; readonly i: Expr; readonly e: Expr }
  | { readonly k: 'store'; readonly buf: string; readonly i: Expr; readonly e: Expr }
  /** for (var v = from; v < to; v += step). */
  | {
      readonly k: 'for';
      readonly v: string;
      readonly from: Expr;
      readonly to: Expr;
      readonly step: number;
      readonly body: readonly Stmt[];
    }
  | { readonly k: 'if'; readonly c: Expr; readonly then: readonly Stmt[]; readonly else?: readonly Stmt[] }
  | { readonly k: 'barrier' }
  | { readonly k: 'comment'; readonly text: string };

export type ElemType = 'f32' | 'i32' | 'u32' | 'vec4f';

export interface Binding {
  readonly name: string;
  /** Storage buffers are read or read_write; `uniform` holds the run's constants (seed, step). */
  readonly kind: 'read' | 'read_write' | 'uniform';
  readonly elem: ElemType;
}

export interface SharedArray {
  readonly name: string;
  readonly t: VType;
  readonly n: number;
}

export interface Kernel {
  readonly name: string;
  /** Binding i of group 0 is bindings[i]. */
  readonly bindings: readonly Binding[];
  readonly workgroup: readonly [number, number, number];
  readonly shared: readonly SharedArray[];
  readonly body: readonly Stmt[];
}

/** Bytes of workgroup memory a kernel declares. */
export function sharedBytes(k: Kernel): number {
  return k.shared.reduce((s, a) => s + a.n * (a.t === 'vec4f' ? 16 : 4), 0);
}
