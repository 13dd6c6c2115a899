// What a data-dependent proxy may run a graph on, as an interface: the drivers implement it
// (compiler/drivers/proxies/backend.ts: WebGPU kernels, or the float64 reference interpreter),
// and a proxy with a run of its own (SynFlow's rescaled run) is written against it here, below
// the drivers, next to the proxy's formula.
import type { Graph, ValueId } from '../../ir/types.js';

export interface ProgramSpec {
  readonly graph: Graph;
  readonly batch: number;
  readonly training: boolean;
  /** Every parameter and buffer, float64 values (a WebGPU program rounds them to float32). */
  readonly params: ReadonlyMap<string, Float64Array>;
  /** Values to read back besides the outputs. */
  readonly keep?: readonly ValueId[];
}

/** A graph's inputs: images and cotangents as floats (a WebGPU program rounds float64 to float32), labels as ints. */
export type ProgramInputs = Readonly<Record<string, Float32Array | Int32Array | Float64Array>>;

export interface Program {
  /** Outputs by name; kept values by id. */
  run(
    inputs: ProgramInputs,
  ): Promise<{ outputs: Map<string, ArrayLike<number>>; kept: Map<ValueId, ArrayLike<number>> }>;
  /** Replaces some parameters' values. */
  setParams(params: ReadonlyMap<string, Float64Array>): void;
  dispose(): void;
}

export interface ProxyBackend {
  readonly name: 'webgpu' | 'reference';
  /** Which device or interpreter, for logs. */
  readonly description: string;
  compile(spec: ProgramSpec): Promise<Program>;
  dispose(): void;
}
