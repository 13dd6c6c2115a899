// Optimizer updates grouped into one kernel each. A training step has one update node per
// parameter (sgd_update / adam_update: autodiff/optimizer.ts); launched one by one they are
// dozens of tiny dispatches (59 for ResNet-20) at the end of every step. The planner instead
// packs the parameters of a group — updates with the same op, the same attributes (learning
// rate, momentum, weight decay…) and the same shared inputs (the `lr` scalar) — into one buffer,
// their gradients into a second and each kind of optimizer state into one more, all at the same
// element offsets. The update is then elementwise over the packed buffers: one dispatch of the
// op's own lowering over Σ sizes elements, binding a fixed number of buffers however many
// parameters the group has (5 for Adam), so the per-stage storage-buffer limit never splits it.
//
// Why in the planner and not as an IR pass (a grouped update op): packing is a memory-layout
// decision that depends on the adapter (the largest binding), the IR stays one update per
// parameter (the interpreter, cost model and per-layer attribution see ordinary ops), and no
// new op needs an interpreter, shape rule and VJP of its own.
//
// Each member starts at a multiple of 4 elements, so a weight in a packed buffer can still be
// read as vec4 by a GEMM. The padding is zero and stays zero: parameters and state are written
// member by member, and the gradients' packed buffer is a buffer of its own that nothing else
// shares (WebGPU zero-initialises buffers), so every update of a padding element is 0 → 0.
import type { Graph, Node, ValueId } from '../ir/types.js';
import type { Lowering } from './lowering.js';
import type { Target } from './target.js';

/** How the group kernel reads one input position of its update op. */
export type Slot =
  /** The same value for every member (the learning rate): read as it is. */
  | { readonly k: 'shared' }
  /** A distinct parameter or state buffer per member: packed into one buffer. */
  | { readonly k: 'packed'; readonly role: 'param' | 'state' }
  /** A distinct computed value per member (the gradients): written into one packed buffer. */
  | { readonly k: 'computed' }
  /** The same constant for every element of every member (SGD's zero buffer without momentum). */
  | { readonly k: 'uniform'; readonly value: number };

export interface UpdateGroup {
  /** The update nodes, in graph order; the group's kernel runs where the last one is. */
  readonly nodes: readonly Node[];
  /** Element offset of each member in the packed buffers (multiples of 4). */
  readonly offsets: readonly number[];
  /** Elements of each packed buffer (padding included). */
  readonly elems: number;
  /** One per input position of the update op. */
  readonly slots: readonly Slot[];
  /** Output position → the input position whose packed buffer it is written into (in place). */
  readonly outInto: readonly (number | undefined)[];
}

export interface GroupInput {
  readonly g: Graph;
  readonly lower: readonly Lowering[];
  readonly numel: (v: ValueId) => number;
  /** In-place outputs → the parameter (or state buffer) they overwrite. */
  readonly inPlace: ReadonlyMap<ValueId, ValueId>;
  /** Values read after the run (an in-place output is read from its parameter's place). */
  readonly pinned: ReadonlySet<ValueId>;
  readonly target: Target;
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** The update groups of a graph (groups of one are left to the ordinary per-node kernel). */
export function updateGroups(m: GroupInput): UpdateGroup[] {
  const { g } = m;
  const uses = new Map<ValueId, number>();
  for (const n of g.nodes) for (const v of n.inputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  const inPlaceTarget = new Set(m.inPlace.values());
  // Candidates: elementwise update kernels whose every output is either written in place or unused.
  const byKey = new Map<string, Node[]>();
  for (const n of g.nodes) {
    const L = m.lower[n.id]!;
    if (L.kind !== 'kernel' || !L.elementwise) continue;
    if (!n.outputs.every((o) => m.inPlace.has(o) || (!uses.has(o) && !m.pinned.has(o)))) continue;
    const key = JSON.stringify([
      n.op,
      Object.entries(n.attrs).sort(([a], [b]) => (a < b ? -1 : 1)),
      n.inputs.map((v) => (g.values[v]!.def.kind === 'input' ? v : -1)),
    ]);
    byKey.set(key, [...(byKey.get(key) ?? []), n]);
  }
  const groups: UpdateGroup[] = [];
  const claimed = new Set<ValueId>();
  for (const nodes of byKey.values()) {
    if (nodes.length < 2) continue;
    const slots = slotsOf(m, nodes, inPlaceTarget);
    if (!slots) continue;
    const first = nodes[0]!;
    const outInto = first.outputs.map((o) => {
      const p = m.inPlace.get(o);
      return p === undefined ? undefined : first.inputs.indexOf(p);
    });
    // Every member writes each output in place into the same input position, a packed one.
    const fits = nodes.every((n) =>
      n.outputs.every((o, k) => {
        const p = m.inPlace.get(o);
        const s = outInto[k];
        return p === undefined
          ? s === undefined
          : s !== undefined && s >= 0 && n.inputs[s] === p && slots[s]!.k === 'packed';
      }),
    );
    if (!fits) continue;
    const packedValues = nodes.flatMap((n) =>
      n.inputs.filter((_, s) => slots[s]!.k === 'packed' || slots[s]!.k === 'computed'),
    );
    if (packedValues.some((v) => claimed.has(v))) continue;
    for (const v of packedValues) claimed.add(v);
    // Split where a packed buffer would outgrow one storage binding.
    const maxElems = Math.floor(m.target.limits.maxStorageBufferBindingSize / 4);
    let part: Node[] = [];
    let offsets: number[] = [];
    let elems = 0;
    const flush = () => {
      if (part.length > 1) groups.push({ nodes: part, offsets, elems, slots, outInto });
      part = [];
      offsets = [];
      elems = 0;
    };
    for (const n of nodes) {
      const size = align4(m.numel(n.outputs[0]!));
      if (part.length > 0 && elems + size > maxElems) flush();
      part.push(n);
      offsets.push(elems);
      elems += size;
    }
    flush();
  }
  return groups;
}

function slotsOf(m: GroupInput, nodes: readonly Node[], inPlaceTarget: ReadonlySet<ValueId>): Slot[] | undefined {
  const { g } = m;
  const first = nodes[0]!;
  const slots: Slot[] = [];
  for (let s = 0; s < first.inputs.length; s++) {
    const vs = nodes.map((n) => n.inputs[s]!);
    if (vs.every((v) => v === vs[0])) {
      slots.push({ k: 'shared' });
      continue;
    }
    if (new Set(vs).size !== vs.length) return undefined;
    // Every member's value must have its own shape (the update is elementwise over it).
    if (vs.some((v, i) => m.numel(v) !== m.numel(nodes[i]!.outputs[0]!))) return undefined;
    const defs = vs.map((v) => g.values[v]!.def);
    if (defs.every((d) => d.kind === 'param')) {
      const ps = defs.map((d) => g.params[(d as { param: number }).param]!);
      const state = ps[0]!.buffer;
      if (ps.some((p) => p.buffer !== state)) return undefined;
      slots.push({ k: 'packed', role: state ? 'state' : 'param' });
      continue;
    }
    if (!defs.every((d) => d.kind === 'node')) return undefined;
    const producers = defs.map((d) => g.nodes[(d as { node: number }).node]!);
    const uniform = producers.map((p) => {
      const L = m.lower[p.id]!;
      return L.kind === 'pointwise' && L.uniform && p.inputs.length === 0 ? L.uniform(p) : undefined;
    });
    if (uniform.every((u) => u !== undefined && u === uniform[0])) {
      slots.push({ k: 'uniform', value: uniform[0]! });
      continue;
    }
    // A computed value packed with the others must not be something written in place.
    if (vs.some((v) => m.inPlace.has(v) || inPlaceTarget.has(v))) return undefined;
    slots.push({ k: 'computed' });
  }
  return slots;
}
