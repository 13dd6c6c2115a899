// The planner: an IR graph (symbolic dims bound) → a static plan of kernels, buffers and
// dispatches that the runtime executes as recorded, with no decision left for run time.
//
// 1. Every node gets its lowering from the per-op table (table.ts): a view, a pointwise
//    expression, or a kernel of its own (an "anchor": matmul, conv, pooling, reductions…).
// 2. Values are classified. A view of a buffer costs nothing. A pointwise value is inlined into
//    its consumer ("lazy") unless it must exist in memory: it is a graph output, it has several
//    consumers (and is not a free gather), or it feeds a kernel that reads it as a buffer.
// 3. Epilogue fusion: an anchor followed by an elementwise chain (each step reading the previous
//    value at the same index) writes the end of that chain instead of its own output: bias,
//    batchnorm, activation and residual add all land in the conv/matmul kernel. Chain values
//    that later kernels read too (the backward pass) are stored by the same kernel.
// 4. Each materialised value is the root of one kernel, built in node order. A kernel that
//    would bind more storage buffers than the adapter allows is split by materialising the
//    fused sub-expression with the most buffers; a kernel whose lowering cannot address a
//    strided input (needsContiguous) gets that input materialised as a contiguous buffer.
//    Either way the attempt ends there and answers the values to materialise instead of a
//    plan; planGraph plans again with them, for a bounded number of rounds.
// 5. Optimizer updates that share an op and its hyper-parameters run as one kernel per group
//    over packed buffers of parameters, gradients and state (groups.ts).
// 6. The memory plan assigns every temporary to a buffer by liveness over the kernel sequence,
//    best fit among free buffers (see memory.ts). Parameters, state and inputs own buffers.
import { concrete, numel } from '../ir/shape.js';
import type { Graph, Node, Param, ValueId } from '../ir/types.js';
import { KernelBuilder, type Resource } from './builder.js';
import * as E from './expr.js';
import { forEachElement } from './grid.js';
import { sharedBytes, type Expr, type Kernel } from './ir.js';
import { KernelError, type Accessor, type AnchorCtx, type Lowering, type PointCtx, type View } from './lowering.js';
import { updateGroups, type UpdateGroup } from './groups.js';
import { assignBuffers } from './memory.js';
import type { BindingRef, BufferSpec, ExecutablePlan, PlanDispatch, ReadSpec } from '../../runtime/plan/types.js';
import { loweringFor } from './table.js';
import { SOFTWARE_TARGET, type Target } from './target.js';
import { renderWgsl } from './wgsl.js';
import { isContiguous } from './lower/views.js';
import { anchorCone, KERNEL_MEMO, pointwiseCone, type Cone } from './kernel-memo.js';

export interface PlanOptions {
  readonly target?: Target;
  /** The binding of every symbolic dim of the graph (the batch B, …). */
  readonly dims?: Readonly<Record<string, number>>;
  /** Training mode: batchnorm uses and updates batch statistics, dropout drops. */
  readonly training?: boolean;
  /** Values (by id) to keep readable after a run, besides the graph's outputs. */
  readonly keep?: readonly ValueId[];
  /** Values (by id) to materialise even if they could be fused (tests, debugging). */
  readonly materialize?: readonly ValueId[];
  /** Tile overrides by kernel family (`gemm`, `conv`), for autotuning and experiments. */
  readonly tiles?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * In-place updates, parameter (or buffer) name → the output holding its new value (a training
   * step's optimizer outputs, `TrainStep.updates`): the output is written into the parameter's
   * own buffer, so after a run the parameter holds it. The writer must be the last kernel to read
   * the parameter, and read it only element by element (the optimizer updates do).
   */
  readonly updates?: ReadonlyMap<string, string>;
  /**
   * Reuse kernels built before, in this plan or an earlier one, whose construction reads the
   * same (kernel-memo.ts). Default true; false builds every kernel (the memo's tests).
   */
  readonly memo?: boolean;
}

export type { BindingRef, BufferSpec, ReadSpec };

/** A dispatch as the planner made it: the plan format's, with the kernel's IR kept (for printing and tests). */
export interface Dispatch extends PlanDispatch {
  readonly kernel: Kernel;
  /** The values the kernel stores (an in-place update's new value included); dispatch-costs.ts counts their bytes. */
  readonly writes: readonly ValueId[];
}

/** A plan as the planner made it: the executable plan, with each dispatch's kernel IR and the IR's parameters. */
export interface Plan extends ExecutablePlan {
  /** How many planning attempts it took (each after the first materialises values a kernel asked for). */
  readonly attempts: number;
  readonly dispatches: readonly Dispatch[];
  readonly params: readonly { readonly param: Param; readonly buffer: number; readonly byteOffset: number }[];
}

type State = { readonly k: 'buf' } | { readonly k: 'view'; readonly view: View } | { readonly k: 'lazy' };

interface Built {
  readonly name: string;
  readonly kernel: Kernel;
  readonly resources: readonly Resource[];
  readonly workgroups: readonly [number, number, number];
  readonly writes: readonly ValueId[];
  readonly nodes: readonly string[];
  /** The kernel's WGSL, when the memo already has it. */
  readonly wgsl?: string;
}

/** The values a planning attempt needs materialised before it can succeed (planned again with them). */
interface Materialise {
  readonly kind: 'materialise';
  readonly values: ReadonlySet<ValueId>;
}

/** The values a planning attempt's kernels asked for, and the roots of those kernels. */
interface Asked extends Materialise {
  readonly askers: ReadonlySet<ValueId>;
}

/** One planning attempt's answer: a plan, or what to materialise for the next attempt. */
type Attempt = { readonly kind: 'plan'; readonly plan: Omit<Plan, 'attempts'> } | Asked;

const dtypeOf = (t: string): 'f32' | 'i32' => (t === 'i32' ? 'i32' : 'f32');
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

class Planner {
  readonly target: Target;
  readonly training: boolean;
  readonly shape: number[][];
  readonly dtype: ('f32' | 'i32')[];
  readonly uses: { node: Node; slot: number }[][];
  readonly pinned = new Set<ValueId>();
  readonly lower: Lowering[];
  readonly state: State[];
  readonly mat = new Set<ValueId>();
  /** Root value → the anchor whose kernel computes it through an epilogue, the chain, and its extra stores. */
  readonly fusedRoot = new Map<ValueId, { anchor: Node; chain: readonly ValueId[]; stores: readonly ValueId[] }>();
  /** Values an epilogue stores besides its root (kept for later kernels, e.g. for the backward pass). */
  readonly storedBy = new Map<ValueId, ValueId>();
  /** Anchor outputs computed in registers and consumed by an epilogue. */
  readonly fusedValue = new Set<ValueId>();
  readonly def: ({ node: Node; index: number } | undefined)[];
  /** In-place outputs → the parameter value whose buffer they are written into. */
  readonly inPlace = new Map<ValueId, ValueId>();
  /** Optimizer updates run as one kernel per group (groups.ts), by member node. */
  readonly groupOf = new Map<Node, UpdateGroup>();
  /** Packed buffers of the groups, with value ids after the graph's own. */
  readonly packs: {
    readonly id: ValueId;
    readonly name: string;
    readonly role: 'param' | 'state' | 'temp';
    readonly elems: number;
  }[] = [];
  /** A value in a packed buffer → that buffer and its element offset there. */
  readonly packed = new Map<ValueId, { readonly base: ValueId; readonly offset: number }>();
  /** Outputs of grouped updates that nothing reads (SGD's buffer without momentum): never stored. */
  readonly dropped = new Set<ValueId>();
  /** Values to materialise: the options' and earlier attempts', and every grouped update's gradient. */
  readonly forced: Set<ValueId>;

  constructor(
    readonly g: Graph,
    readonly opts: PlanOptions,
    forced: ReadonlySet<ValueId>,
  ) {
    this.forced = new Set(forced);
    this.target = opts.target ?? SOFTWARE_TARGET;
    this.training = opts.training ?? false;
    const dims = opts.dims ?? {};
    this.shape = g.values.map((v) => concrete(v.type.shape, dims));
    this.dtype = g.values.map((v) => dtypeOf(v.type.dtype));
    this.uses = g.values.map(() => []);
    this.def = g.values.map(() => undefined);
    for (const n of g.nodes) {
      n.inputs.forEach((v, slot) => this.uses[v]!.push({ node: n, slot }));
      n.outputs.forEach((o, index) => (this.def[o] = { node: n, index }));
    }
    for (const o of g.outputs) this.pinned.add(o.value);
    for (const v of opts.keep ?? []) this.pinned.add(v);
    this.lower = g.nodes.map((n) => loweringFor(n, this.training));
    for (const [pname, oname] of opts.updates ?? []) {
      const p = g.params.find((q) => q.name === pname);
      const o = g.outputs.find((q) => q.name === oname);
      if (!p || !o)
        throw new KernelError(
          `plan ${g.name}: in-place update of ${pname} by ${oname}: no such ${p ? 'output' : 'parameter'}`,
        );
      if (g.values[o.value]!.def.kind !== 'node' || !sameShape(this.shape[o.value]!, this.shape[p.value]!))
        throw new KernelError(`plan ${g.name}: output ${oname} cannot update ${pname} in place`);
      this.inPlace.set(o.value, p.value);
    }
    const groups = updateGroups({
      g,
      lower: this.lower,
      numel: (v) => numel(this.shape[v]!),
      inPlace: this.inPlace,
      pinned: this.pinned,
      target: this.target,
    });
    let next = g.values.length;
    groups.forEach((grp, gi) => {
      const first = grp.nodes[0]!;
      grp.slots.forEach((s, k) => {
        if (s.k !== 'packed' && s.k !== 'computed') return;
        const role = s.k === 'packed' ? s.role : 'temp';
        const id = next++;
        this.packs.push({ id, name: `${first.op}#${gi}.${k}:${role}`, role, elems: grp.elems });
        grp.nodes.forEach((n, i) => {
          this.packed.set(n.inputs[k]!, { base: id, offset: grp.offsets[i]! });
          // A gradient is written into its place by the kernel that computes it.
          if (s.k === 'computed') this.forced.add(n.inputs[k]!);
        });
      });
      for (const n of grp.nodes) {
        this.groupOf.set(n, grp);
        for (const o of n.outputs) if (!this.inPlace.has(o)) this.dropped.add(o);
      }
    });
    this.state = g.values.map((v) => (v.def.kind === 'node' ? { k: 'lazy' } : { k: 'buf' }));
  }

  /** Node names → their place in the graph, for ordering a kernel's nodes. */
  private nodeIndex: Map<string, number[]> | undefined;

  /** The graph's nodes among `seen`, in graph order (a filter of every node per kernel was quadratic). */
  orderNames(seen: Set<string>): string[] {
    if (!this.nodeIndex) {
      this.nodeIndex = new Map();
      this.g.nodes.forEach((n, i) => this.nodeIndex!.set(n.name, [...(this.nodeIndex!.get(n.name) ?? []), i]));
    }
    const ix: number[] = [];
    for (const name of seen) ix.push(...(this.nodeIndex.get(name) ?? []));
    return ix.sort((a, b) => a - b).map((i) => this.g.nodes[i]!.name);
  }

  consumers(v: ValueId): Node[] {
    return [...new Set(this.uses[v]!.map((u) => u.node))];
  }

  /** Where a value's own buffer is: its parameter's for an in-place output, a packed buffer's slice, or its own. */
  place(v: ValueId): { readonly base: ValueId; readonly offset: number } {
    const p = this.inPlace.get(v) ?? v;
    return this.packed.get(p) ?? { base: p, offset: 0 };
  }

  /** The value as a strided view of a buffer, if it is one. */
  viewOf(v: ValueId): View | undefined {
    const s = this.state[v]!;
    if (s.k === 'view') return s.view;
    if (s.k === 'buf' || this.mat.has(v)) {
      // Spelled out, not spread: an object spread into a literal is made in a slow shape, and
      // kernel construction asks for hundreds of thousands of these per plan.
      const { base, offset } = this.place(v);
      return {
        base,
        offset,
        strides: E.contiguousStrides(this.shape[v]!),
        shape: this.shape[v]!,
        dtype: this.dtype[v]!,
      };
    }
    return undefined;
  }

  /** A lazy value whose recomputation is only loads and selects (constants, gathers of buffers). */
  cheap(v: ValueId): boolean {
    const d = this.def[v];
    if (!d || this.mat.has(v) || this.state[v]!.k !== 'lazy') return true;
    const L = this.lower[d.node.id]!;
    if (L.kind === 'pointwise' && L.cheap) return true;
    const gather = L.kind === 'view' || d.node.op === 'pad' || d.node.op === 'concat';
    return gather && d.node.inputs.every((u) => this.cheap(u));
  }

  needsBuffer(node: Node, slot: number): boolean {
    const L = this.lower[node.id]!;
    if (L.kind !== 'kernel') return false;
    const req = L.buffers(node);
    return req === 'all' || req.includes(slot);
  }

  classify(): void {
    for (let round = 0; round < 1000; round++) {
      let changed = false;
      for (const n of this.g.nodes) {
        const L = this.lower[n.id]!;
        n.outputs.forEach((o, k) => {
          if (this.mat.has(o)) return;
          if (L.kind === 'kernel' || this.forced.has(o)) {
            this.mat.add(o);
            changed = true;
            return;
          }
          if (L.kind === 'view') {
            const src = this.viewOf(n.inputs[0]!);
            const lay = src
              ? L.layout(
                  src,
                  n,
                  n.outputs.map((x) => this.shape[x]!),
                  k,
                )
              : null;
            const next: State =
              lay && src
                ? {
                    k: 'view',
                    view: {
                      base: src.base,
                      offset: lay.offset,
                      strides: lay.strides,
                      shape: this.shape[o]!,
                      dtype: this.dtype[o]!,
                    },
                  }
                : { k: 'lazy' };
            if (next.k !== this.state[o]!.k) changed = true;
            this.state[o] = next;
          }
        });
      }
      for (const n of this.g.nodes)
        for (const o of n.outputs) {
          if (this.mat.has(o)) continue;
          const s = this.state[o]!;
          const need =
            s.k === 'view'
              ? this.pinned.has(o) && !isContiguous(s.view)
              : this.pinned.has(o) ||
                (this.consumers(o).length > 1 && !this.cheap(o)) ||
                this.uses[o]!.some((u) => this.needsBuffer(u.node, u.slot));
          if (need) {
            this.mat.add(o);
            this.state[o] = { k: 'lazy' };
            changed = true;
          }
        }
      if (!changed) return;
    }
    throw new Error('planner: classification did not converge');
  }

  /**
   * Epilogues. From an anchor's output, follow elementwise consumers that read it at the same
   * index (the earliest one when there are several); the chain ends at the last materialised
   * value on it, the root, which the anchor's kernel then writes. Chain values that other nodes
   * read too (the backward pass reads a conv's output and its activation) are stored by the
   * same kernel — provided those readers come after the root, where the kernel runs.
   */
  fuseEpilogues(): void {
    for (const a of this.g.nodes) {
      if (this.lower[a.id]!.kind !== 'kernel' || a.outputs.length !== 1) continue;
      const v = a.outputs[0]!;
      if (this.forced.has(v) || this.inPlace.has(v)) continue;
      const chain: ValueId[] = [v];
      const next: (Node | undefined)[] = [];
      const roots: number[] = [];
      for (let u = v; ;) {
        const cs = this.consumers(u).sort((x, y) => x.id - y.id);
        const p = cs.find((c) => {
          const L = this.lower[c.id]!;
          return (
            c.outputs.length === 1 &&
            L.kind === 'pointwise' &&
            L.elementwise === true &&
            sameShape(this.shape[u]!, this.shape[c.outputs[0]!]!) &&
            !this.inPlace.has(c.outputs[0]!)
          );
        });
        next.push(p);
        if (!p) break;
        const w = p.outputs[0]!;
        if (this.fusedRoot.has(w) || this.state[w]!.k === 'view') break;
        chain.push(w);
        if (this.mat.has(w)) roots.push(chain.length - 1);
        u = w;
      }
      // The nearest materialised value on the chain that works as the root.
      let pick: { root: ValueId; body: ValueId[]; stores: ValueId[] } | undefined;
      for (const rootAt of roots) {
        const root = chain[rootAt]!;
        const rootNode = this.def[root]!.node.id;
        const body = chain.slice(0, rootAt + 1);
        // Values before the root that something else reads: stored by this kernel, read after it.
        const stores: ValueId[] = [];
        let ok = true;
        for (let i = 0; i < rootAt && ok; i++) {
          const c = body[i]!;
          const others = this.consumers(c).filter((n) => n !== next[i]);
          if (others.length === 0 && !this.pinned.has(c)) continue;
          // (a lazy value with several readers is a free one each reader recomputes: not storable)
          if (others.some((n) => n.id <= rootNode) || this.fusedRoot.has(c) || this.storedBy.has(c) || !this.mat.has(c))
            ok = false;
          stores.push(c);
        }
        if (ok) {
          pick = { root, body, stores };
          break;
        }
      }
      if (!pick) continue;
      const { root, body, stores } = pick;
      if (!stores.includes(v)) {
        this.mat.delete(v);
        this.fusedValue.add(v);
      }
      for (const c of stores) this.storedBy.set(c, root);
      this.fusedRoot.set(root, { anchor: a, chain: body, stores });
    }
  }

  // ── kernel construction ────────────────────────────────────────────────────────────────

  /** Chain values of the epilogue being built: computed in the kernel, never loaded. */
  inline = new Set<ValueId>();

  accessor(b: KernelBuilder, v: ValueId, subst: Map<ValueId, Expr>, seen: Set<string>): Accessor {
    const view = this.fusedValue.has(v) || this.inline.has(v) ? undefined : this.viewOf(v);
    const dtype = this.dtype[v]!;
    const shape = this.shape[v]!;
    const key = (idx: readonly Expr[]) => `${v}@${idx.map(E.keyOf).join(',')}`;
    if (view)
      return {
        shape,
        dtype,
        view,
        at: (idx) =>
          b.memo(
            `L${key(idx)}`,
            () => E.load(b.binding(view.base, dtype, false), dtype, E.linear(idx, view.strides, view.offset)),
            'ld',
          ),
      };
    return {
      shape,
      dtype,
      at: (idx) => {
        const s = subst.get(v);
        if (s) return s;
        if (this.fusedValue.has(v)) throw new Error(`planner: fused value ${v} read outside its epilogue`);
        return b.memo(`V${key(idx)}`, () => this.evalValue(b, v, idx, subst, seen), 'f');
      },
    };
  }

  pointCtx(b: KernelBuilder, n: Node, subst: Map<ValueId, Expr>, seen: Set<string>): PointCtx {
    return {
      b,
      node: n,
      attrs: n.attrs,
      inputs: n.inputs.map((u) => this.accessor(b, u, subst, seen)),
      outShapes: n.outputs.map((o) => this.shape[o]!),
      training: this.training,
      rng: () => b.rng(),
    };
  }

  /** The value of a pointwise or view node's output at `idx`, computed (not loaded). */
  evalValue(b: KernelBuilder, v: ValueId, idx: readonly Expr[], subst: Map<ValueId, Expr>, seen: Set<string>): Expr {
    const d = this.def[v]!;
    const L = this.lower[d.node.id]!;
    if (L.kind === 'kernel') throw new Error(`planner: kernel op ${d.node.op} evaluated inline`);
    seen.add(d.node.name);
    this.evaluated.add(v);
    return L.at(this.pointCtx(b, d.node, subst, seen), idx, d.index);
  }

  evaluated = new Set<ValueId>();

  storeRoot(b: KernelBuilder, r: ValueId, idx: readonly Expr[], val: Expr): void {
    const at = this.place(r);
    b.store(
      b.binding(at.base, this.dtype[r]!, true),
      E.linear(idx, E.contiguousStrides(this.shape[r]!), at.offset),
      val,
    );
  }

  buildPointwise(r: ValueId): Built {
    const d = this.def[r]!;
    const b = new KernelBuilder(d.node.name);
    const seen = new Set<string>();
    const shape = this.shape[r]!;
    const total = numel(shape);
    const grid = forEachElement(b, total, this.target, d.node.name, (id) => {
      const idx = E.unflatten(id, shape).map((e) => b.let(e, 'ix'));
      this.storeRoot(b, r, idx, this.evalValue(b, r, idx, new Map(), seen));
    });
    const k = b.finish(grid.size);
    return { name: d.node.name, ...k, workgroups: grid.workgroups, writes: [r], nodes: this.orderNames(seen) };
  }

  buildAnchor(a: Node, root: ValueId | undefined): Built | Materialise {
    const L = this.lower[a.id]!;
    if (L.kind !== 'kernel') throw new Error('planner: not a kernel op');
    this.inline = new Set(root !== undefined ? this.fusedRoot.get(root)!.chain : []);
    const b = new KernelBuilder(a.name);
    const subst = new Map<ValueId, Expr>();
    const seen = new Set<string>([a.name]);
    let workgroups: readonly [number, number, number] | undefined;
    let size: readonly [number, number, number] = [1, 1, 1];
    const writes = new Set<ValueId>();
    const contiguous = new Set<number>();
    const base = this.pointCtx(b, a, subst, seen);
    const ctx: AnchorCtx = {
      ...base,
      target: this.target,
      ...(this.opts.tiles ? { tiles: this.opts.tiles } : {}),
      bind: (view, elem) => b.binding(view.base, elem, false),
      emit: (out, idx, value) => {
        const o = a.outputs[out]!;
        const f = root !== undefined && out === 0 ? this.fusedRoot.get(root) : undefined;
        if (f) {
          // Chain values all have the anchor output's shape: one index for all of them.
          const val = b.let(value, 'acc');
          subst.set(o, val);
          this.storeRoot(b, root!, idx, this.evalValue(b, root!, idx, subst, seen));
          writes.add(root!);
          for (const c of f.stores) {
            this.storeRoot(b, c, idx, c === o ? val : this.accessor(b, c, subst, seen).at(idx));
            writes.add(c);
          }
          subst.delete(o);
        } else {
          this.storeRoot(b, o, idx, value);
          writes.add(o);
        }
      },
      update: (input, i, v) => {
        const view = this.viewOf(a.inputs[input]!);
        if (!view) throw new Error(`planner: ${a.name} updates an input that is not a buffer`);
        b.store(b.binding(view.base, 'f32', true), E.add(i, E.i32(view.offset)), v);
      },
      grid: (wg, s) => {
        workgroups = wg;
        size = s;
      },
      needsContiguous: (input) => contiguous.add(input),
    };
    L.build(ctx);
    this.inline = new Set();
    if (contiguous.size > 0) {
      // The lowering stopped short: this kernel is discarded, its inputs copied for the next attempt.
      const values = new Set([...contiguous].map((i) => a.inputs[i]!));
      for (const v of values)
        if (this.mat.has(v)) throw new Error(`planner: ${a.name} needs a contiguous copy of buffer ${v}`);
      return { kind: 'materialise', values };
    }
    if (!workgroups) throw new Error(`planner: the lowering of ${a.op} set no grid`);
    for (const [k, lim] of [
      [0, 'maxComputeWorkgroupSizeX'],
      [3, 'maxComputeInvocationsPerWorkgroup'],
    ] as const) {
      const n = k === 3 ? size[0] * size[1] * size[2] : size[k];
      if (n > this.target.limits[lim])
        throw new KernelError(
          `${a.name}: workgroup size ${size.join('×')} exceeds the adapter's ${lim} ${this.target.limits[lim]}`,
        );
    }
    const k = b.finish(size);
    const shared = sharedBytes(k.kernel);
    if (shared > this.target.limits.maxComputeWorkgroupStorageSize)
      throw new KernelError(
        `${a.name}: ${shared} bytes of workgroup memory exceed the adapter's ${this.target.limits.maxComputeWorkgroupStorageSize}`,
      );
    const name = root !== undefined ? `${a.name}→${this.def[root]!.node.name}` : a.name;
    return { name, ...k, workgroups, writes: [...writes], nodes: this.orderNames(seen) };
  }

  /**
   * One kernel for a group of optimizer updates: the op's own lowering, run over the packed
   * buffers as if they were one parameter of Σ sizes elements (the update is elementwise).
   */
  buildGroup(grp: UpdateGroup): Built {
    const first = grp.nodes[0]!;
    const L = this.lower[first.id]!;
    if (L.kind !== 'kernel') throw new Error('planner: a grouped update is not a kernel op');
    const name = `${first.op}×${grp.nodes.length}`;
    const b = new KernelBuilder(name);
    const N = grp.elems;
    const seen = new Set<string>(grp.nodes.map((n) => n.name));
    const packOf = (slot: number) => this.packed.get(first.inputs[slot]!)!.base;
    const inputs = grp.slots.map((s, k): Accessor => {
      if (s.k === 'shared') return this.accessor(b, first.inputs[k]!, new Map(), seen);
      if (s.k === 'uniform') return { shape: [N], dtype: 'f32', at: () => E.f32(s.value) };
      const view: View = { base: packOf(k), offset: 0, strides: [1], shape: [N], dtype: 'f32' };
      return {
        shape: [N],
        dtype: 'f32',
        view,
        at: (idx) =>
          b.memo(`P${k}@${E.keyOf(idx[0]!)}`, () => E.load(b.binding(view.base, 'f32', false), 'f32', idx[0]!), 'ld'),
      };
    });
    let workgroups: readonly [number, number, number] | undefined;
    let size: readonly [number, number, number] = [1, 1, 1];
    L.build({
      b,
      node: first,
      attrs: first.attrs,
      inputs,
      outShapes: first.outputs.map(() => [N]),
      training: this.training,
      rng: () => b.rng(),
      target: this.target,
      bind: (view, elem) => b.binding(view.base, elem, false),
      emit: (out, idx, value) => {
        const s = grp.outInto[out];
        if (s !== undefined) b.store(b.binding(packOf(s), 'f32', true), idx[0]!, value);
      },
      update: () => {
        throw new Error(`planner: ${first.op} updates an input; it cannot be grouped`);
      },
      grid: (wg, s) => {
        workgroups = wg;
        size = s;
      },
      needsContiguous: () => {
        throw new Error(`planner: ${first.op} asked for a contiguous input, but a group reads packed buffers`);
      },
    });
    if (!workgroups) throw new Error(`planner: the lowering of ${first.op} set no grid`);
    const k = b.finish(size);
    const writes = grp.nodes.flatMap((n) => n.outputs.filter((o) => this.inPlace.has(o)));
    return { name, ...k, workgroups, writes, nodes: this.orderNames(seen) };
  }

  /** Distinct buffers under a value when it is inlined (for splitting kernels that bind too many). */
  leaves(v: ValueId, memo = new Map<ValueId, Set<ValueId>>()): Set<ValueId> {
    const hit = memo.get(v);
    if (hit) return hit;
    let out: Set<ValueId>;
    const view = this.fusedValue.has(v) ? undefined : this.viewOf(v);
    if (view) out = new Set([view.base]);
    else {
      out = new Set();
      const d = this.def[v];
      if (d) for (const u of d.node.inputs) for (const x of this.leaves(u, memo)) out.add(x);
    }
    memo.set(v, out);
    return out;
  }

  /** Within the adapter's storage-buffer limit, or the inlined value to materialise to split the kernel. */
  checkLimits(k: Built): Materialise | undefined {
    const limit = this.target.limits.maxStorageBuffersPerShaderStage;
    const used = k.kernel.bindings.filter((x) => x.kind !== 'uniform').length;
    if (used <= limit) return undefined;
    // Materialise the inlined value under this kernel with the most buffers (but fewer than all).
    let best: ValueId | undefined;
    let bestN = 0;
    const memo = new Map<ValueId, Set<ValueId>>();
    for (const v of this.evaluated) {
      if (this.mat.has(v) || this.fusedValue.has(v)) continue;
      const n = this.leaves(v, memo).size;
      if (n > bestN && n < used) {
        best = v;
        bestN = n;
      }
    }
    if (best === undefined || bestN < 2)
      throw new KernelError(
        `${k.name}: needs ${used} storage buffers but the adapter allows ${limit} per kernel, and it cannot be split further`,
      );
    return { kind: 'materialise', values: new Set([best]) };
  }

  /** Keys every memoised kernel of this planner: what a construction reads besides the cone. */
  private memoPrefix: string | undefined;

  /**
   * The kernel `build` makes for `cone`, from the memo when it holds one (kernel-memo.ts); a
   * kernel built here goes into the memo with its WGSL. `kernelName` is the builder's name,
   * `name` the dispatch's; `seen` the node names a construction starts with.
   */
  viaMemo(
    coneOf: (prefix: string) => Cone,
    kernelName: string,
    name: string,
    seen: readonly string[],
    build: () => Built | Materialise,
  ): Built | Materialise {
    if (this.opts.memo === false) return build();
    this.memoPrefix ??= JSON.stringify([this.target, this.opts.tiles ?? null, this.training]);
    const cone = coneOf(this.memoPrefix);
    const hit = KERNEL_MEMO.get(cone, kernelName);
    if (hit) {
      this.evaluated = new Set(hit.evaluated);
      const names = new Set(seen);
      for (const v of hit.evaluated) names.add(this.def[v]!.node.name);
      return {
        name,
        kernel: hit.kernel,
        resources: hit.resources,
        workgroups: hit.workgroups,
        writes: hit.writes,
        nodes: this.orderNames(names),
        wgsl: hit.wgsl,
      };
    }
    const k = build();
    if ('kind' in k) return k;
    const wgsl = renderWgsl(k.kernel);
    KERNEL_MEMO.set(cone, { ...k, wgsl, evaluated: this.evaluated });
    return { ...k, wgsl };
  }

  /**
   * One attempt: the plan, or every value that the attempt's kernels found must be materialised
   * first. A kernel that asks for a value goes on to the next one instead of ending the attempt:
   * the requests of different kernels concern values inlined into each of them alone, so one
   * attempt answers them all (a NAS-Bench-201 gradient graph took 60–80 attempts, each
   * rebuilding every kernel up to the next request, when each answered only its first).
   *
   * With `only`, the attempt builds the kernels of those roots alone, and never answers a plan:
   * it finds what those kernels ask for next (see planGraph).
   */
  attempt(only?: ReadonlySet<ValueId>): Attempt {
    this.classify();
    this.fuseEpilogues();
    const roots = this.g.nodes.flatMap((n) => n.outputs.filter((o) => this.mat.has(o)));
    const built: Built[] = [];
    const done = new Set<Node>();
    const asked = new Set<ValueId>();
    const askers = new Set<ValueId>();
    for (const r of roots) {
      if (this.storedBy.has(r) || (only && !only.has(r))) continue;
      const { node } = this.def[r]!;
      const L = this.lower[node.id]!;
      this.evaluated = new Set();
      let k: Built | Materialise;
      if (L.kind === 'kernel') {
        if (done.has(node)) continue;
        done.add(node);
        const grp = this.groupOf.get(node);
        // A group's kernel runs where its last update is, when every gradient exists.
        if (grp && node !== grp.nodes[grp.nodes.length - 1]) continue;
        k = grp
          ? this.buildGroup(grp)
          : this.viaMemo(
              (pre) => anchorCone(this, pre, node, undefined),
              node.name,
              node.name,
              [node.name],
              () => this.buildAnchor(node, undefined),
            );
      } else if (this.fusedRoot.has(r)) {
        const a = this.fusedRoot.get(r)!.anchor;
        k = this.viaMemo(
          (pre) => anchorCone(this, pre, a, r),
          a.name,
          `${a.name}→${node.name}`,
          [a.name],
          () => this.buildAnchor(a, r),
        );
      } else
        k = this.viaMemo(
          (pre) => pointwiseCone(this, pre, r),
          node.name,
          node.name,
          [],
          () => this.buildPointwise(r),
        );
      // A lowering asked for contiguous inputs, or the kernel binds too many buffers.
      const more = 'kind' in k ? k : this.checkLimits(k);
      if (more) {
        more.values.forEach((v) => asked.add(v));
        askers.add(r);
      } else if (!('kind' in k)) built.push(k);
    }
    if (asked.size > 0 || only) return { kind: 'materialise', values: asked, askers };
    this.checkInPlace(built);
    return { kind: 'plan', plan: this.finish(built) };
  }

  /** An in-place update's kernel is the last to read its parameter, and reads it elementwise. */
  checkInPlace(built: readonly Built[]): void {
    for (const [r, p] of this.inPlace) {
      const k = built.findIndex((x) => x.writes.includes(r));
      const base = this.place(p).base;
      const reads = (x: Built) => x.resources.some((res) => res.kind === 'value' && res.value === base);
      const later = built.slice(k + 1).find(reads);
      const name = this.g.params.find((q) => q.value === p)!.name;
      if (later)
        throw new KernelError(
          `plan ${this.g.name}: ${later.name} reads ${name} after ${built[k]!.name} updated it in place`,
        );
      const writer = this.def[r]!.node;
      const L = this.lower[writer.id]!;
      if (reads(built[k]!) && !(L.kind === 'kernel' && L.elementwise && writer.inputs.includes(p)))
        throw new KernelError(
          `plan ${this.g.name}: ${built[k]!.name} reads ${name} while updating it in place, not element by element`,
        );
    }
  }

  finish(built: Built[]): Omit<Plan, 'attempts'> {
    const g = this.g;
    const bytesOf = (v: ValueId) => numel(this.shape[v]!) * 4;
    const readable = new Map<ValueId, ReadSpec>();
    const packs = (role: string) => this.packs.filter((p) => p.role === role);
    const mem = assignBuffers({
      inputs: g.inputs.map((v) => ({
        value: v,
        name: g.values[v]!.def.kind === 'input' ? (g.values[v]!.def as { name: string }).name : `input${v}`,
        bytes: bytesOf(v),
      })),
      params: [
        ...g.params
          .filter((p) => !this.packed.has(p.value))
          .map((p) => ({ value: p.value, name: p.name, bytes: bytesOf(p.value), state: p.buffer })),
        ...[...packs('param'), ...packs('state')].map((p) => ({
          value: p.id,
          name: p.name,
          bytes: p.elems * 4,
          state: p.role === 'state',
        })),
      ],
      kernels: built.map((k) => {
        const writes = k.writes.map((v) => this.place(v).base);
        return {
          reads: k.resources.flatMap((r) => (r.kind === 'value' && !writes.includes(r.value) ? [r.value] : [])),
          writes,
        };
      }),
      temps: [...this.mat]
        .filter((v) => !this.inPlace.has(v) && !this.packed.has(v) && !this.dropped.has(v))
        .map((v) => ({ value: v, bytes: bytesOf(v) })),
      owned: packs('temp').map((p) => ({ value: p.id, name: p.name, bytes: p.elems * 4 })),
      pinned: new Set([...this.pinned].map((v) => this.viewOf(v)?.base ?? v)),
    });
    // A tensor larger than one storage binding may hold cannot be bound: say so now, not at run time.
    const maxBinding = this.target.limits.maxStorageBufferBindingSize;
    for (const k of built)
      for (const r of k.resources)
        if (r.kind === 'value' && mem.buffers[mem.bufferOf.get(r.value)!]!.bytes > maxBinding)
          throw new KernelError(
            `${k.name}: a ${mem.buffers[mem.bufferOf.get(r.value)!]!.bytes}-byte buffer exceeds the adapter's ${maxBinding}-byte storage binding limit; use a smaller batch`,
          );
    const dispatches: Dispatch[] = built.map((k) => ({
      name: k.name,
      kernel: k.kernel,
      wgsl: k.wgsl ?? renderWgsl(k.kernel),
      workgroups: k.workgroups,
      bindings: k.resources.map((r) =>
        r.kind === 'rng' ? { rng: true as const } : { buffer: mem.bufferOf.get(r.value)! },
      ),
      nodes: k.nodes,
      writes: k.writes,
    }));
    const nameOf = (v: ValueId): string => {
      const o = g.outputs.find((x) => x.value === v);
      if (o) return o.name;
      const d = g.values[v]!.def;
      if (d.kind === 'input') return d.name;
      if (d.kind === 'param') return g.params[d.param]!.name;
      return g.nodes[d.node]!.name + (g.nodes[d.node]!.outputs.length > 1 ? `.${d.index}` : '');
    };
    for (const v of this.pinned) {
      const view = this.viewOf(v);
      if (!view) throw new Error(`planner: pinned value ${v} has no buffer`);
      readable.set(v, {
        name: nameOf(v),
        value: v,
        buffer: mem.bufferOf.get(view.base)!,
        byteOffset: view.offset * 4,
        bytes: bytesOf(v),
        shape: this.shape[v]!,
        dtype: this.dtype[v]!,
      });
    }
    return {
      graph: g.name,
      dims: { ...(this.opts.dims ?? {}) },
      training: this.training,
      target: this.target,
      buffers: mem.buffers,
      dispatches,
      inputs: g.inputs.map((v) => ({
        name: nameOf(v),
        buffer: mem.bufferOf.get(v)!,
        shape: this.shape[v]!,
        dtype: this.dtype[v]!,
      })),
      params: g.params.map((p) => {
        const at = this.place(p.value);
        return { param: p, buffer: mem.bufferOf.get(at.base)!, byteOffset: at.offset * 4 };
      }),
      outputs: g.outputs.map((o) => ({ ...readable.get(o.value)!, name: o.name })),
      readable,
      memory: mem.plan,
      usesRng: dispatches.some((d) => d.bindings.some((x) => 'rng' in x)),
    };
  }
}

/** Plans `g` for a target: kernels, buffers, dispatches. Throws KernelError for unlowerable graphs. */
export function planGraph(g: Graph, opts: PlanOptions = {}): Plan {
  for (const s of g.symbols)
    if (opts.dims?.[s] === undefined) throw new KernelError(`plan ${g.name}: the symbolic dimension ${s} is not bound`);
  // A kernel that is split often needs several splits, one per attempt (each is planned with
  // the values materialised so far). After a full attempt, the next ones build only the kernels
  // that asked for something last time and those of the values just materialised, until they
  // ask for nothing more; then a full attempt again, which makes the plan or starts over. A
  // NAS-Bench-201 gradient graph needs 4 attempts, 2 of them full.
  //
  // Every full attempt that fails materialises at least one value more, and a partial one that
  // does not is followed by a full one, so the rounds are bounded by twice the number of
  // values: hitting the bound is a planner bug, not a model's fault.
  const rounds = 2 * (g.values.length + 1);
  let forced = new Set<ValueId>(opts.materialize ?? []);
  let only: ReadonlySet<ValueId> | undefined;
  for (let round = 0; round < rounds; round++) {
    const r = new Planner(g, opts, forced).attempt(only);
    if (r.kind === 'plan') return { ...r.plan, attempts: round + 1 };
    const more = [...r.values].filter((v) => !forced.has(v));
    if (more.length === 0 && !only) throw new Error(`planner: ${g.name}: an attempt asked to materialise nothing new`);
    forced = new Set([...forced, ...more]);
    only = more.length > 0 ? new Set([...r.askers, ...more]) : undefined;
  }
  throw new Error(`planner: ${g.name}: no plan after ${rounds} rounds of materialising values`);
}
