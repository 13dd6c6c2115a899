// The reference interpreter: runs any IR graph (forward, loss, backward) on the CPU in float64
// or float32, dispatching every node to its op's `eval` rule in the registry. It is the test
// oracle for everything built after it (kernels, rewrites) and an explicit choice of backend,
// never a silent fallback.
//
// Float32 runs store every float tensor as a Float32Array, so each op's results are rounded to
// float32 once, when stored (an op's internal accumulation is in float64). i32 tensors (class
// labels) are Int32Arrays in both modes.
import { formatShape } from '../ir/shape.js';
import type { Graph, ValueId } from '../ir/types.js';
import { lookupOp } from '../ops/registry.js';
import type { EvalCtx } from '../ops/types.js';
import { floatArray, size, withPrecision, type Precision, type Tensor } from '../reference/tensor.js';

export interface RunOptions {
  /** Values of the graph's inputs, by input name. */
  readonly inputs: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;
  /** Values of the graph's parameters and buffers, by parameter name. */
  readonly params: ReadonlyMap<string, Tensor>;
  /** Float storage: 'f64' (default) or 'f32'. */
  readonly precision?: Precision;
  /** Training mode: batchnorm uses (and updates) batch statistics, dropout drops. Default false. */
  readonly training?: boolean;
  /** Seed and step of the counter-based random streams (dropout). Default 0 and 0. */
  readonly seed?: number;
  readonly step?: number;
  /** Keep every value (for inspection and tests); by default values die after their last use. */
  readonly keepAll?: boolean;
}

export interface RunResult {
  /** The graph's outputs, by output name. */
  readonly outputs: Map<string, Tensor>;
  /** New values of the buffers the run updated (batchnorm running statistics in training), by name. */
  readonly buffers: Map<string, Tensor>;
  /** The binding of the symbolic dims. */
  readonly dims: Readonly<Record<string, number>>;
  /** Every value by id, when `keepAll`. */
  readonly values?: readonly (Tensor | undefined)[];
}

export class InterpError extends Error {}

function getIn(m: RunOptions['inputs'], k: string): Tensor | undefined {
  return m instanceof Map ? m.get(k) : (m as Readonly<Record<string, Tensor>>)[k];
}

/** Runs `g`; throws InterpError for missing or mis-shaped inputs and parameters. */
export function run(g: Graph, opts: RunOptions): RunResult {
  const precision = opts.precision ?? 'f64';
  const training = opts.training ?? false;
  const vals: (Tensor | undefined)[] = new Array(g.values.length);
  const dims: Record<string, number> = {};
  // Inputs bind the symbolic dims.
  for (const id of g.inputs) {
    const v = g.values[id]!;
    const name = v.def.kind === 'input' ? v.def.name : String(id);
    const t = getIn(opts.inputs, name);
    if (!t) throw new InterpError(`run ${g.name}: no value for input \`${name}\``);
    const want = v.type.shape;
    const bad = () =>
      new InterpError(
        `run ${g.name}: input \`${name}\` has shape ${formatShape(t.shape)}, expected ${formatShape(want)}`,
      );
    if (t.shape.length !== want.length) throw bad();
    want.forEach((d, i) => {
      const got = t.shape[i]!;
      if (typeof d === 'number') {
        if (d !== got) throw bad();
      } else if (dims[d] === undefined) dims[d] = got;
      else if (dims[d] !== got) throw bad();
    });
    if ((v.type.dtype === 'i32') !== t.data instanceof Int32Array)
      throw new InterpError(
        `run ${g.name}: input \`${name}\` is ${v.type.dtype}, got ${t.data instanceof Int32Array ? 'an i32' : 'a float'} tensor`,
      );
    vals[id] = withPrecision(t, precision);
  }
  for (const p of g.params) {
    const t = opts.params.get(p.name);
    if (!t) throw new InterpError(`run ${g.name}: no value for parameter \`${p.name}\``);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      throw new InterpError(
        `run ${g.name}: parameter \`${p.name}\` has shape ${formatShape(t.shape)}, expected ${formatShape(p.shape)}`,
      );
    vals[p.value] = withPrecision(t, precision);
  }
  const concrete = (id: ValueId): number[] =>
    g.values[id]!.type.shape.map((d) => {
      if (typeof d === 'number') return d;
      const n = dims[d];
      if (n === undefined) throw new InterpError(`run ${g.name}: symbolic dimension ${d} is not bound by any input`);
      return n;
    });

  const lastUse = new Map<ValueId, number>();
  if (!opts.keepAll) {
    g.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
    for (const o of g.outputs) lastUse.set(o.value, Infinity);
  }
  const writes = new Map<ValueId, Tensor>();
  g.nodes.forEach((n, idx) => {
    const op = lookupOp(n.op);
    if (!op) throw new InterpError(`run ${g.name}: node ${n.name} has unknown op ${n.op}`);
    const inputs = n.inputs.map((v) => {
      const t = vals[v];
      if (!t) throw new InterpError(`run ${g.name}: node ${n.name} reads value ${v} before it is computed`);
      return t;
    });
    const outputs = n.outputs.map(concrete);
    const ctx: EvalCtx = {
      outputs,
      dims,
      precision,
      training,
      seed: opts.seed ?? 0,
      step: opts.step ?? 0,
      node: n.name,
      alloc: (shape) => ({ shape: [...shape], data: floatArray(size(shape), precision) }),
      allocInt: (shape) => ({ shape: [...shape], data: new Int32Array(size(shape)) }),
      writeBuffer(index, value) {
        const v = n.inputs[index];
        const d = v === undefined ? undefined : g.values[v]!.def;
        if (!d || d.kind !== 'param' || !g.params[d.param]!.buffer)
          throw new InterpError(`run ${g.name}: node ${n.name} writes input ${index}, which is not a buffer`);
        writes.set(v!, withPrecision(value, precision));
      },
    };
    const res = op.eval(inputs, n.attrs, ctx);
    if (res.length !== n.outputs.length)
      throw new InterpError(`run ${g.name}: ${n.op} returned ${res.length} tensors for ${n.outputs.length} outputs`);
    res.forEach((t, k) => {
      const want = outputs[k]!;
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]) || t.data.length !== size(want))
        throw new InterpError(
          `run ${g.name}: ${n.op} (${n.name}) returned shape ${formatShape(t.shape)} for output ${k}, expected ${formatShape(want)}`,
        );
      vals[n.outputs[k]!] = t;
    });
    if (!opts.keepAll)
      for (const v of n.inputs) if (lastUse.get(v) === idx && g.values[v]!.def.kind === 'node') vals[v] = undefined;
  });
  const outputs = new Map<string, Tensor>();
  for (const o of g.outputs) outputs.set(o.name, vals[o.value]!);
  const buffers = new Map<string, Tensor>();
  for (const [v, t] of writes) {
    const d = g.values[v]!.def;
    if (d.kind === 'param') buffers.set(g.params[d.param]!.name, t);
  }
  return { outputs, buffers, dims, ...(opts.keepAll ? { values: vals } : {}) };
}
