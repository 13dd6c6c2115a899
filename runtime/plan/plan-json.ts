// A compiled plan as plain JSON, and back. Everything the executor needs is kept (buffers with
// their sizes from the memory plan, dispatch grids, bindings, inputs, readable values, the
// parameter table with shapes and initialisers), except the WGSL itself, which lives in files
// named by each dispatch (`kernels/NNN_name.wgsl`), and the kernels' IR, which only the planner
// and the renderer use. A loaded plan runs exactly like the planned one: same buffers, same
// kernels, same dispatch order, so the same results bit for bit.
import type {
  BindingRef,
  BufferSpec,
  ExecutablePlan,
  Init,
  MemoryPlan,
  PlanParam as Param,
  ReadSpec,
  Target,
} from './types.js';

export const PLAN_FORMAT = 'mdl-plan-1';

export interface DispatchJson {
  readonly name: string;
  /** The file (relative to the plan's folder) holding the kernel's WGSL. */
  readonly wgsl: string;
  readonly workgroups: readonly [number, number, number];
  readonly bindings: readonly BindingRef[];
  readonly nodes: readonly string[];
}

export interface PlanJson {
  readonly format: typeof PLAN_FORMAT;
  readonly graph: string;
  readonly dims: Readonly<Record<string, number>>;
  readonly training: boolean;
  readonly target: Target;
  readonly buffers: readonly BufferSpec[];
  readonly dispatches: readonly DispatchJson[];
  readonly inputs: ExecutablePlan['inputs'];
  readonly params: readonly { readonly param: Param; readonly buffer: number; readonly byteOffset: number }[];
  readonly outputs: readonly ReadSpec[];
  /** Every readable value (outputs and kept values). */
  readonly readable: readonly ReadSpec[];
  readonly memory: MemoryPlan;
  readonly usesRng: boolean;
}

export class PlanFormatError extends Error {}

/**
 * The kernel files of one or more plans: `NNN_name.wgsl`, numbered in order of first use. Two
 * dispatches with the same WGSL text (repeated blocks compile to the same kernel) share a file.
 */
export class KernelFiles {
  private readonly byText = new Map<string, string>();
  readonly files: { readonly file: string; readonly wgsl: string }[] = [];

  constructor(private readonly folder = 'kernels') {}

  add(name: string, wgsl: string): string {
    const hit = this.byText.get(wgsl);
    if (hit) return hit;
    // Dispatch names hold layer paths and arrows (`net.fc1→net.relu`): keep file names portable.
    const safe =
      name
        .replace(/→/g, '-')
        .replace(/[^A-Za-z0-9_.-]+/g, '_')
        .replace(/^[._-]+/, '')
        .slice(0, 60) || 'kernel';
    const file = `${this.folder}/${String(this.files.length).padStart(3, '0')}_${safe}.wgsl`;
    this.byText.set(wgsl, file);
    this.files.push({ file, wgsl });
    return file;
  }
}

export function serializePlan(plan: ExecutablePlan, files: KernelFiles): PlanJson {
  return {
    format: PLAN_FORMAT,
    graph: plan.graph,
    dims: { ...plan.dims },
    training: plan.training,
    target: plan.target,
    buffers: plan.buffers,
    dispatches: plan.dispatches.map((d) => ({
      name: d.name,
      wgsl: files.add(d.name, d.wgsl),
      workgroups: d.workgroups,
      bindings: d.bindings,
      nodes: d.nodes,
    })),
    inputs: plan.inputs,
    params: plan.params.map((p) => ({ param: p.param, buffer: p.buffer, byteOffset: p.byteOffset })),
    outputs: plan.outputs,
    readable: [...plan.readable.values()],
    memory: plan.memory,
    usesRng: plan.usesRng,
  };
}

// ── loading: every field checked, so a damaged or foreign file is an error that says what is
// wrong, never a GPU validation failure later ─────────────────────────────────────────────

type Obj = Record<string, unknown>;

function fail(where: string, what: string): never {
  throw new PlanFormatError(`${where}: ${what}`);
}
function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
  return v as Obj;
}
function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) fail(where, 'expected an array');
  return v;
}
function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail(where, 'expected a string');
  return v;
}
function int(v: unknown, where: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(where, `expected an integer ≥ ${min}`);
  return v;
}
function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') fail(where, 'expected true or false');
  return v;
}
const ints = (v: unknown, where: string, min = 0): number[] =>
  arr(v, where).map((x, i) => int(x, `${where}[${i}]`, min));
const dtype = (v: unknown, where: string): 'f32' | 'i32' =>
  v === 'f32' || v === 'i32' ? v : fail(where, 'expected "f32" or "i32"');

function readSpec(v: unknown, where: string, buffers: number): ReadSpec {
  const o = obj(v, where);
  const buffer = int(o['buffer'], `${where}.buffer`);
  if (buffer >= buffers) fail(`${where}.buffer`, `no buffer ${buffer}`);
  return {
    name: str(o['name'], `${where}.name`),
    value: int(o['value'], `${where}.value`),
    buffer,
    byteOffset: int(o['byteOffset'], `${where}.byteOffset`),
    bytes: int(o['bytes'], `${where}.bytes`),
    shape: ints(o['shape'], `${where}.shape`),
    dtype: dtype(o['dtype'], `${where}.dtype`),
  };
}

const INIT_FIELDS: Record<Init['kind'], readonly string[]> = {
  zeros: [],
  ones: [],
  constant: ['value'],
  uniform: ['low', 'high'],
  normal: ['mean', 'std'],
  trunc_normal: ['std', 'a', 'b'],
  kaiming_uniform: ['a', 'fanIn'],
  kaiming_normal: ['fanOut'],
};

function param(v: unknown, where: string): Param {
  const o = obj(v, where);
  const init = obj(o['init'], `${where}.init`);
  const fields = INIT_FIELDS[init['kind'] as Init['kind']];
  if (!fields) fail(`${where}.init.kind`, `unknown initialiser ${JSON.stringify(init['kind'])}`);
  for (const f of fields) if (typeof init[f] !== 'number') fail(`${where}.init.${f}`, 'expected a number');
  return {
    id: int(o['id'], `${where}.id`),
    name: str(o['name'], `${where}.name`),
    shape: ints(o['shape'], `${where}.shape`),
    dtype: str(o['dtype'], `${where}.dtype`) as Param['dtype'],
    init: init as unknown as Init,
    buffer: bool(o['buffer'], `${where}.buffer`),
    trainable: bool(o['trainable'], `${where}.trainable`),
    value: int(o['value'], `${where}.value`),
  };
}

/**
 * A plan from its JSON form; `wgsl(file)` gives the text of a kernel file. Throws
 * PlanFormatError naming the first field that is missing or wrong.
 */
export function loadPlan(json: unknown, wgsl: (file: string) => string, where = 'plan'): ExecutablePlan {
  const o = obj(json, where);
  if (o['format'] !== PLAN_FORMAT)
    fail(`${where}.format`, `expected "${PLAN_FORMAT}", got ${JSON.stringify(o['format'])}`);
  const buffers: BufferSpec[] = arr(o['buffers'], `${where}.buffers`).map((v, i) => {
    const b = obj(v, `${where}.buffers[${i}]`);
    const role = b['role'];
    if (role !== 'input' && role !== 'param' && role !== 'state' && role !== 'temp')
      fail(`${where}.buffers[${i}].role`, 'expected input, param, state or temp');
    if (b['id'] !== i) fail(`${where}.buffers[${i}].id`, `expected ${i}`);
    return {
      id: i,
      bytes: int(b['bytes'], `${where}.buffers[${i}].bytes`, 4),
      role,
      name: str(b['name'], `${where}.buffers[${i}].name`),
    };
  });
  const bufferIndex = (v: unknown, at: string) => {
    const n = int(v, at);
    if (n >= buffers.length) fail(at, `no buffer ${n}`);
    return n;
  };
  const dispatches = arr(o['dispatches'], `${where}.dispatches`).map((v, i) => {
    const at = `${where}.dispatches[${i}]`;
    const d = obj(v, at);
    const wg = ints(d['workgroups'], `${at}.workgroups`, 1);
    if (wg.length !== 3) fail(`${at}.workgroups`, 'expected three counts');
    const bindings: BindingRef[] = arr(d['bindings'], `${at}.bindings`).map((x, k) => {
      const b = obj(x, `${at}.bindings[${k}]`);
      return b['rng'] === true
        ? { rng: true as const }
        : { buffer: bufferIndex(b['buffer'], `${at}.bindings[${k}].buffer`) };
    });
    return {
      name: str(d['name'], `${at}.name`),
      wgsl: wgsl(str(d['wgsl'], `${at}.wgsl`)),
      workgroups: [wg[0]!, wg[1]!, wg[2]!] as const,
      bindings,
      nodes: arr(d['nodes'], `${at}.nodes`).map((x, k) => str(x, `${at}.nodes[${k}]`)),
    };
  });
  const readable = arr(o['readable'], `${where}.readable`).map((v, i) =>
    readSpec(v, `${where}.readable[${i}]`, buffers.length),
  );
  const memory = obj(o['memory'], `${where}.memory`);
  for (const k of [
    'inputBytes',
    'paramBytes',
    'stateBytes',
    'tempBytes',
    'tempBuffers',
    'liveLowerBound',
    'totalBytes',
  ])
    int(memory[k], `${where}.memory.${k}`);
  const target = obj(o['target'], `${where}.target`);
  bool(target['software'], `${where}.target.software`);
  const limits = obj(target['limits'], `${where}.target.limits`);
  for (const [k, v] of Object.entries(limits)) int(v, `${where}.target.limits.${k}`);
  const dims = obj(o['dims'], `${where}.dims`);
  for (const [k, v] of Object.entries(dims)) int(v, `${where}.dims.${k}`, 1);
  return {
    graph: str(o['graph'], `${where}.graph`),
    dims: dims as Record<string, number>,
    training: bool(o['training'], `${where}.training`),
    target: target as unknown as Target,
    buffers,
    dispatches,
    inputs: arr(o['inputs'], `${where}.inputs`).map((v, i) => {
      const x = obj(v, `${where}.inputs[${i}]`);
      return {
        name: str(x['name'], `${where}.inputs[${i}].name`),
        buffer: bufferIndex(x['buffer'], `${where}.inputs[${i}].buffer`),
        shape: ints(x['shape'], `${where}.inputs[${i}].shape`),
        dtype: dtype(x['dtype'], `${where}.inputs[${i}].dtype`),
      };
    }),
    params: arr(o['params'], `${where}.params`).map((v, i) => {
      const x = obj(v, `${where}.params[${i}]`);
      return {
        param: param(x['param'], `${where}.params[${i}].param`),
        buffer: bufferIndex(x['buffer'], `${where}.params[${i}].buffer`),
        byteOffset: int(x['byteOffset'], `${where}.params[${i}].byteOffset`),
      };
    }),
    outputs: arr(o['outputs'], `${where}.outputs`).map((v, i) => readSpec(v, `${where}.outputs[${i}]`, buffers.length)),
    readable: new Map(readable.map((r) => [r.value, r])),
    memory: memory as unknown as MemoryPlan,
    usesRng: bool(o['usesRng'], `${where}.usesRng`),
  };
}
