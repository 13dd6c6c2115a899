// Building one kernel: a block stack for structured statements, fresh names, scoped memos (so
// a fused value read twice at the same index in one block is computed once), and the kernel's
// bindings, each tied to the resource it will be bound to (a buffer, named by the value that
// owns it, or the run's uniform constants).
import { bin, i32, ref, sel, u32 } from './expr.js';
import type { Binding, ElemType, Expr, Kernel, SharedArray, Stmt, VType } from './ir.js';

/** What a binding is bound to at run time. */
export type Resource = { readonly kind: 'value'; readonly value: number } | { readonly kind: 'rng' };

export interface BuiltKernel {
  readonly kernel: Kernel;
  readonly resources: readonly Resource[];
}

export class KernelBuilder {
  private readonly blocks: Stmt[][] = [[]];
  private readonly memos: Map<string, Expr>[] = [new Map()];
  private readonly bindings: { b: Binding; res: Resource }[] = [];
  private readonly sharedArrays: SharedArray[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh identifier. */
  fresh(hint = 't'): string {
    return `${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${this.counter++}`;
  }

  /**
   * The binding of `value`'s buffer with element type `elem`. One binding per (buffer,
   * element type); a written buffer has one read_write binding, which must be its only one
   * (WebGPU forbids a writable binding aliasing another in the same dispatch).
   */
  binding(value: number, elem: ElemType, write: boolean): string {
    const same = this.bindings.filter((x) => x.res.kind === 'value' && x.res.value === value);
    const hit = same.find((x) => x.b.elem === elem);
    if (hit) {
      if (write && hit.b.kind !== 'read_write') (hit as { b: Binding }).b = { ...hit.b, kind: 'read_write' };
      if (write && same.length > 1)
        throw new Error(
          `kernel ${this.name}: buffer of value ${value} is written and also read as another element type`,
        );
      return hit.b.name;
    }
    if (same.length > 0 && (write || same.some((x) => x.b.kind === 'read_write')))
      throw new Error(`kernel ${this.name}: buffer of value ${value} is written and also read as ${elem}`);
    const name = `b${this.bindings.length}${elem === 'vec4f' ? 'v' : ''}`;
    this.bindings.push({ b: { name, kind: write ? 'read_write' : 'read', elem }, res: { kind: 'value', value } });
    return name;
  }

  /** The run's uniform constants (a vec4<u32>): x = seed, y = step. */
  rng(): { seed: Expr; step: Expr } {
    if (!this.bindings.some((x) => x.res.kind === 'rng'))
      this.bindings.push({ b: { name: 'rng', kind: 'uniform', elem: 'u32' }, res: { kind: 'rng' } });
    return { seed: ref('rng.x', 'u32'), step: ref('rng.y', 'u32') };
  }

  get storageBindings(): number {
    return this.bindings.filter((x) => x.b.kind !== 'uniform').length;
  }

  shared(t: VType, n: number, hint = 'sh'): string {
    const name = this.fresh(hint);
    this.sharedArrays.push({ name, t, n });
    return name;
  }

  private get block(): Stmt[] {
    return this.blocks[this.blocks.length - 1]!;
  }

  push(s: Stmt): void {
    this.block.push(s);
  }

  comment(text: string): void {
    this.push({ k: 'comment', text });
  }

  /** Binds `e` to an immutable name (literals and references are returned as they are). */
  let(e: Expr, hint = 't'): Expr {
    if (e.k === 'lit' || e.k === 'ref') return e;
    const name = this.fresh(hint);
    this.push({ k: 'let', name, t: e.t, e, mut: false });
    return ref(name, e.t);
  }

  /** A mutable variable initialised to `init`; returns its name. */
  var(init: Expr, hint = 'v'): string {
    const name = this.fresh(hint);
    this.push({ k: 'let', name, t: init.t, e: init, mut: true });
    return name;
  }

  set(name: string, e: Expr, op?: '+' | '*'): void {
    this.push(op ? { k: 'set', name, e, op } : { k: 'set', name, e });
  }

  store(buf: string, i: Expr, e: Expr): void {
    this.push({ k: 'store', buf, i, e });
  }

  setElem(arr: string, i: Expr, e: Expr): void {
    this.push({ k: 'setelem', arr, i, e });
  }

  array(t: VType, n: number, hint = 'a'): string {
    const name = this.fresh(hint);
    this.push({ k: 'arr', name, t, n });
    return name;
  }

  barrier(): void {
    this.push({ k: 'barrier' });
  }

  private scoped(f: () => void): Stmt[] {
    this.blocks.push([]);
    this.memos.push(new Map());
    try {
      f();
    } finally {
      this.memos.pop();
    }
    return this.blocks.pop()!;
  }

  /**
   * A counted loop from `from` to `to` (exclusive) by `step`. Kernels unroll what they want
   * unrolled themselves; a loop stays a loop: a constant bound is made opaque to the driver's
   * compiler (it is `to` unless the grid is empty, which it never is), because LLVM would
   * otherwise unroll short loops with big bodies completely, and compile for seconds.
   */
  for(from: Expr, to: Expr, body: (i: Expr) => void, step = 1, hint = 'i'): void {
    const v = this.fresh(hint);
    const stmts = this.scoped(() => body(ref(v, 'i32')));
    const bound = to.k === 'lit' ? sel(bin('==', ref('nwg.x', 'u32'), u32(0)), i32(0), to) : to;
    this.push({ k: 'for', v, from, to: bound, step, body: stmts });
  }

  if(c: Expr, then: () => void, otherwise?: () => void): void {
    if (c.k === 'lit') {
      if (c.v) then();
      else otherwise?.();
      return;
    }
    const t = this.scoped(then);
    const e = otherwise ? this.scoped(otherwise) : undefined;
    this.push(e ? { k: 'if', c, then: t, else: e } : { k: 'if', c, then: t });
  }

  /** `make()` once per block scope for `key` (bound to a name), then the same name. */
  memo(key: string, make: () => Expr, hint = 'm'): Expr {
    for (let i = this.memos.length - 1; i >= 0; i--) {
      const hit = this.memos[i]!.get(key);
      if (hit) return hit;
    }
    const e = this.let(make(), hint);
    this.memos[this.memos.length - 1]!.set(key, e);
    return e;
  }

  finish(workgroup: readonly [number, number, number]): BuiltKernel {
    if (this.blocks.length !== 1) throw new Error(`kernel ${this.name}: unbalanced blocks`);
    return {
      kernel: {
        name: this.name,
        bindings: this.bindings.map((x) => x.b),
        workgroup,
        shared: this.sharedArrays,
        body: this.blocks[0]!,
      },
      resources: this.bindings.map((x) => x.res),
    };
  }
}
