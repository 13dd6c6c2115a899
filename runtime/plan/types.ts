// The plan format: what the compiler hands the runtime. A plan is a list of WGSL kernels with
// their dispatch grids and bindings, the buffers they bind (sized by the static memory plan), the
// parameter table with initialisers, and where each readable value lies after a run. The
// compiler's planner (compiler/kernels/plan.ts) produces these types and the executor runs them;
// they live here, with the runtime, so the runtime never imports the compiler.

/** How a parameter is initialised; PyTorch's defaults are expressible here. */
export type Init =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'trunc_normal'; readonly std: number; readonly a: number; readonly b: number }
  /** torch.nn.init.kaiming_uniform_ with leaky-relu gain for slope `a`; PyTorch conv/linear use a=√5. */
  | { readonly kind: 'kaiming_uniform'; readonly a: number; readonly fanIn: number }
  | { readonly kind: 'kaiming_normal'; readonly fanOut: number };

/** A parameter or state tensor of a plan (the IR's `Param` has exactly these fields). */
export interface PlanParam {
  readonly id: number;
  /** Full hierarchical name, e.g. `layer2.1.conv1.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'f16' | 'i32';
  readonly init: Init;
  /** A buffer (batchnorm running statistics) is state, not a parameter: never trained, not counted. */
  readonly buffer: boolean;
  readonly trainable: boolean;
  /** The graph value that holds it. */
  readonly value: number;
}

/** The adapter limits a plan was made to respect. */
export interface TargetLimits {
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBufferBindingSize: number;
}

/**
 * How convolution gradients are computed. `direct`: a lane per (channel, kernel row) looping
 * over every output position (few, long-running lanes: what a CPU adapter's handful of threads
 * wants). `implicit-gemm`: the weight gradient as a GEMM of dy and the implicit im2col of x,
 * a workgroup per tile of outputs whose lanes split the long reduction and combine it in
 * workgroup memory (thousands of lanes: what a real GPU wants).
 */
export type ConvBackwardStrategy = 'direct' | 'implicit-gemm';

/**
 * The adapter a plan is made for: whether it is a CPU implementation (llvmpipe/lavapipe/
 * SwiftShader, where the kernel strategy differs from a real GPU's) and its limits. Plain data:
 * the runtime's AdapterReport fits this shape.
 */
export interface Target {
  readonly software: boolean;
  readonly limits: TargetLimits;
  /** Forces a convolution-gradient strategy (tests, experiments); absent: by adapter. */
  readonly convBackward?: ConvBackwardStrategy;
}

export type BindingRef = { readonly buffer: number } | { readonly rng: true };

/** One kernel launch: its WGSL, grid and bindings. */
export interface PlanDispatch {
  readonly name: string;
  readonly wgsl: string;
  readonly workgroups: readonly [number, number, number];
  readonly bindings: readonly BindingRef[];
  /** The IR nodes this kernel computes (anchor first). */
  readonly nodes: readonly string[];
}

export interface BufferSpec {
  readonly id: number;
  readonly bytes: number;
  /** input: written before each run; param/state: persistent; temp: reused by liveness. */
  readonly role: 'input' | 'param' | 'state' | 'temp';
  readonly name: string;
}

/** Where a value can be read after a run. */
export interface ReadSpec {
  readonly name: string;
  readonly value: number;
  readonly buffer: number;
  readonly byteOffset: number;
  readonly bytes: number;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'i32';
}

/** The static memory plan's totals (compiler/kernels/memory.ts explains the packing). */
export interface MemoryPlan {
  readonly inputBytes: number;
  readonly paramBytes: number;
  readonly stateBytes: number;
  /** Bytes of the shared temporary buffers. */
  readonly tempBytes: number;
  readonly tempBuffers: number;
  /** The most temporary bytes live at once: the ideal a perfect packing would reach. */
  readonly liveLowerBound: number;
  /** Everything the plan allocates (inputs + params + state + temporaries). */
  readonly totalBytes: number;
}

/** A plan as the executor runs it: a planner's plan is one; so is a plan loaded from JSON. */
export interface ExecutablePlan {
  readonly graph: string;
  readonly dims: Readonly<Record<string, number>>;
  readonly training: boolean;
  readonly target: Target;
  readonly buffers: readonly BufferSpec[];
  readonly dispatches: readonly PlanDispatch[];
  readonly inputs: readonly {
    readonly name: string;
    readonly buffer: number;
    readonly shape: readonly number[];
    readonly dtype: 'f32' | 'i32';
  }[];
  /** Where each parameter lives: its buffer, and its byte offset there (packed parameters share one). */
  readonly params: readonly { readonly param: PlanParam; readonly buffer: number; readonly byteOffset: number }[];
  readonly outputs: readonly ReadSpec[];
  /** Every readable value: outputs and `keep`, by value id. */
  readonly readable: ReadonlyMap<number, ReadSpec>;
  readonly memory: MemoryPlan;
  readonly usesRng: boolean;
}

/** The optimizer a training plan updates parameters with (recorded with a compiled model). */
export type OptimizerSpec =
  | {
      readonly kind: 'sgd';
      readonly momentum?: number;
      readonly dampening?: number;
      readonly weightDecay?: number;
      readonly nesterov?: boolean;
    }
  | {
      readonly kind: 'adam' | 'adamw';
      readonly beta1?: number;
      readonly beta2?: number;
      readonly eps?: number;
      readonly weightDecay?: number;
    };
