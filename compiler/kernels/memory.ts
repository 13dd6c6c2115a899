// The static memory plan. Inputs, parameters and state (batchnorm running statistics) own one
// buffer each for the plan's lifetime. Temporaries — every materialised value — share buffers
// by liveness over the kernel sequence: a value is live from the kernel that writes it to the
// last kernel that reads it (values kept for reading after the run stay live to the end). At
// each kernel the values it defines take a free buffer first (so an output never shares a
// buffer with an input of the same kernel), then the values it read for the last time are
// freed. A value takes the smallest free buffer that is large enough (best fit); if none is,
// the largest free buffer grows to fit; if none is free, a new buffer is made. A buffer's size
// is the largest of its tenants, rounded up to 16 bytes (whole vec4s). The plan's total is
// exactly what the runtime allocates; `liveLowerBound` is the most temporary memory live at
// once (what an ideal packing would need), for comparison. A few temporaries (packed
// gradients) own their buffer instead, live for the whole run.
import type { ValueId } from '../ir/types.js';
import type { BufferSpec, MemoryPlan } from '../../runtime/plan/types.js';

export type { MemoryPlan };

export interface MemoryInput {
  readonly inputs: readonly { value: ValueId; name: string; bytes: number }[];
  readonly params: readonly { value: ValueId; name: string; bytes: number; state: boolean }[];
  readonly kernels: readonly { reads: readonly ValueId[]; writes: readonly ValueId[] }[];
  readonly temps: readonly { value: ValueId; bytes: number }[];
  /**
   * Temporaries with a buffer of their own for the whole run, never shared: a group's packed
   * gradients, whose padding between members must stay zero (see groups.ts).
   */
  readonly owned?: readonly { value: ValueId; name: string; bytes: number }[];
  /** Values that must survive the run (read back afterwards). */
  readonly pinned: ReadonlySet<ValueId>;
}

export const align16 = (n: number): number => Math.max(16, Math.ceil(n / 16) * 16);

export function assignBuffers(m: MemoryInput): {
  buffers: BufferSpec[];
  bufferOf: Map<ValueId, number>;
  plan: MemoryPlan;
} {
  const buffers: BufferSpec[] = [];
  const bufferOf = new Map<ValueId, number>();
  const own = (value: ValueId, name: string, bytes: number, role: BufferSpec['role']) => {
    bufferOf.set(value, buffers.length);
    buffers.push({ id: buffers.length, bytes: align16(bytes), role, name });
  };
  for (const i of m.inputs) own(i.value, i.name, i.bytes, 'input');
  for (const p of m.params) own(p.value, p.name, p.bytes, p.state ? 'state' : 'param');
  for (const t of m.owned ?? []) own(t.value, t.name, t.bytes, 'temp');
  const ownedBytes = (m.owned ?? []).reduce((a, t) => a + align16(t.bytes), 0);

  const temps = new Map(m.temps.map((t) => [t.value, t.bytes]));
  const defAt = new Map<ValueId, number>();
  const lastUse = new Map<ValueId, number>();
  m.kernels.forEach((k, i) => {
    for (const w of k.writes) if (temps.has(w) && !defAt.has(w)) defAt.set(w, i);
    for (const r of k.reads) if (temps.has(r)) lastUse.set(r, i);
  });
  const end = m.kernels.length;
  for (const v of temps.keys()) {
    if (!defAt.has(v)) throw new Error(`memory plan: value ${v} is never written`);
    if (m.pinned.has(v)) lastUse.set(v, end);
    else lastUse.set(v, Math.max(lastUse.get(v) ?? 0, defAt.get(v)!));
  }

  // Temporary buffers: their sizes grow as tenants arrive.
  const size: number[] = [];
  const free = new Set<number>();
  const slotOf = new Map<ValueId, number>();
  let live = 0;
  let peak = 0;
  m.kernels.forEach((k, i) => {
    for (const v of k.writes) {
      if (!temps.has(v) || slotOf.has(v)) continue;
      const need = align16(temps.get(v)!);
      let pick: number | undefined;
      for (const s of free) if (size[s]! >= need && (pick === undefined || size[s]! < size[pick]!)) pick = s;
      if (pick === undefined) for (const s of free) if (pick === undefined || size[s]! > size[pick]!) pick = s;
      if (pick === undefined) {
        pick = size.length;
        size.push(need);
      } else {
        free.delete(pick);
        size[pick] = Math.max(size[pick]!, need);
      }
      slotOf.set(v, pick);
      live += need;
    }
    peak = Math.max(peak, live);
    for (const [v, s] of slotOf)
      if (lastUse.get(v) === i && !free.has(s)) {
        free.add(s);
        live -= align16(temps.get(v)!);
      }
  });
  const first = buffers.length;
  size.forEach((bytes, s) => buffers.push({ id: first + s, bytes, role: 'temp', name: `temp${s}` }));
  for (const [v, s] of slotOf) bufferOf.set(v, first + s);
  const sum = (role: BufferSpec['role']) => buffers.filter((b) => b.role === role).reduce((a, b) => a + b.bytes, 0);
  const plan: MemoryPlan = {
    inputBytes: sum('input'),
    paramBytes: sum('param'),
    stateBytes: sum('state'),
    tempBytes: sum('temp'),
    tempBuffers: size.length + (m.owned?.length ?? 0),
    liveLowerBound: peak + ownedBytes,
    totalBytes: buffers.reduce((a, b) => a + b.bytes, 0),
  };
  return { buffers, bufferOf, plan };
}
