// Type-generic templates: one interpretation of a block call serves its calls at other widths.
//
// A memo template (memo.ts) is keyed by the types of the call's tensors, so a search-space cell
// used at three stage widths is interpreted three times per candidate, although what it does
// (which ops, wired how, named what) does not depend on the widths at all: only what its ops
// infer and what the blocks it calls expand to do. When a call's own body never looked at a
// tensor's dims (no `Tensor[N, C, …]` pattern binding or checking them, no `.shape`, `.rank` or
// `.dtype`), the elaborator also records its steps in a generic template, keyed by the call's
// arguments with each tensor reduced to its rank and dtype:
// - an op the body applied: the op and attributes, its inputs, its name; at another type the op
//   infers its outputs and parameters again, exactly as applying it would;
// - a block the body called: the block and arguments, its name; at another type the call is
//   replayed from its own (typed) template, which expands it at that type as interpreting it
//   would, whatever its body reads.
// A block's result that is not a tensor (a width, a list of tensors) is part of what the body
// may have acted on, so it must come out the same at the other type. Everything else the body
// computed depends only on the compile-time arguments, which are part of the key.
//
// Instantiating gives up (the builder is rolled back and the call is interpreted, reporting
// whatever it reports) when an op refuses the new types, a called block's template is not in
// the memo, a name is taken, or a called block's result differs in anything but its tensors.
// The graph it builds is the one interpretation builds (test/space/memo.test.ts compares them).
import type { GraphBuilder } from '../ir/builder.js';
import type { Attrs, TensorType, ValueId } from '../ir/types.js';
import { knownElements } from '../ir/shape.js';
import { getOp } from '../ops/registry.js';
import { paramName } from '../ops/types.js';
import type { Span } from '../source.js';
import { mapTensors, refOf, relativeName, relativeScope, sameUpToTensors, scopeUnder } from './memo.js';
import type { V } from './values.js';

/**
 * A block call made directly by the body being recorded, as the elaborator reports it. `site`
 * is the elaborator's own record of the call (the block, its module, the call's syntax).
 */
export interface ChildCall<Site> {
  readonly site: Site;
  /** The matched arguments (undefined: the parameter's default), tensors by their ids. */
  readonly args: readonly (V | undefined)[];
  /** The call's full name. */
  readonly name: string;
  /** The nodes its expansion added: [first, end). */
  readonly first: number;
  readonly end: number;
  /** The builder's value count before the call: result tensors at or past it were made by it. */
  readonly valuesBefore: number;
  readonly result: V;
}

/** What the elaborator tracks while a memoisable call's body runs. */
export interface Recording<Site> {
  readonly children: ChildCall<Site>[];
  /** The body read a tensor's dims (or did something else generic templates cannot replay). */
  typed: boolean;
}

interface OpStep {
  readonly kind: 'op';
  readonly op: string;
  /** Name after the call's name ('' or '.relu'). */
  readonly rel: string;
  /** Data inputs as references (memo.ts's convention: −(s+1) a slot, k ≥ 0 the k-th value made). */
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly span: Span;
  readonly scopeRel: readonly string[];
  /** How many parameters the op made (they are made again from its specs at the new types). */
  readonly params: number;
}

interface CallStep<Site> {
  readonly kind: 'call';
  readonly site: Site;
  readonly args: readonly (V | undefined)[];
  readonly rel: string;
  /**
   * The result with tensors as references; a tensor the call made takes the next value index
   * (so at replay a reference equal to the count of values made so far is a fresh result).
   */
  readonly result: V;
}

export interface GenericTemplate<Site> {
  readonly steps: readonly (OpStep | CallStep<Site>)[];
  readonly result: V;
}

/**
 * The generic template of the call named `name` whose expansion is the builder's nodes from
 * `firstNode` on, with `children` the block calls its body made; undefined when it has a part
 * that cannot be expressed (a value from outside the call, a shared parameter).
 */
export function recordGeneric<Site>(
  b: GraphBuilder,
  firstNode: number,
  name: string,
  callerScope: readonly string[],
  slots: readonly ValueId[],
  children: readonly ChildCall<Site>[],
  result: V,
): GenericTemplate<Site> | undefined {
  const local = new Map<ValueId, number>();
  let count = 0;
  const ref = (v: ValueId): number | undefined => refOf(local, slots, v);
  const steps: (OpStep | CallStep<Site>)[] = [];
  const scopes = new Map<readonly string[], readonly string[]>();
  let c = 0;
  for (let i = firstNode; ;) {
    while (c < children.length && children[c]!.first === i) {
      const ch = children[c++]!;
      const rel = relativeName(name, ch.name);
      if (rel === undefined) return undefined;
      const args: (V | undefined)[] = [];
      for (const a of ch.args) {
        const m = a === undefined ? undefined : mapTensors(a, ref);
        if (a !== undefined && m === undefined) return undefined;
        args.push(m);
      }
      const res = mapTensors(ch.result, (id) => {
        if (id < ch.valuesBefore) return ref(id);
        let l = local.get(id);
        if (l === undefined) local.set(id, (l = count++));
        return l;
      });
      if (!res) return undefined;
      steps.push({ kind: 'call', site: ch.site, args, rel, result: res });
      i = ch.end;
    }
    if (i >= b.nodeCount) break;
    const n = b.node(i++);
    const rel = relativeName(name, n.name);
    if (rel === undefined) return undefined;
    const inputs: number[] = [];
    for (const v of n.inputs.slice(0, n.dataInputs)) {
      const r = ref(v);
      if (r === undefined) return undefined;
      inputs.push(r);
    }
    // The op's own parameters, made just before it; anything else (a shared one) is not replayable.
    for (const p of n.inputs.slice(n.dataInputs)) {
      if (local.has(p) || !b.paramOfValue(p)) return undefined;
      local.set(p, count++);
    }
    const scopeRel = relativeScope(n.scope, callerScope, name, scopes);
    if (!scopeRel) return undefined;
    for (const o of n.outputs) local.set(o, count++);
    steps.push({
      kind: 'op',
      op: n.op,
      rel,
      inputs,
      attrs: n.attrs,
      span: n.span,
      scopeRel,
      params: n.inputs.length - n.dataInputs,
    });
  }
  if (c < children.length) return undefined;
  const res = mapTensors(result, ref);
  return res && { steps, result: res };
}

/**
 * Builds the call `name` from its generic template at the types of `slots`; undefined (and the
 * builder as it was) when it gives up. `expand` makes a call the body made, under its full name
 * and in the call's scope, as the elaborator makes it at these types (undefined: it could not).
 */
export function instantiateGeneric<Site>(
  b: GraphBuilder,
  g: GenericTemplate<Site>,
  name: string,
  callerScope: readonly string[],
  slots: readonly ValueId[],
  expand: (site: Site, args: readonly (V | undefined)[], name: string, scope: readonly string[]) => V | undefined,
): V | undefined {
  const marks = [b.nodeCount, b.valueCount, b.paramCount] as const;
  const made: ValueId[] = [];
  const resolve = (r: number): ValueId => (r < 0 ? slots[-r - 1]! : made[r]!);
  const ownScope = [...callerScope, name];
  const scopes = new Map<readonly string[], readonly string[]>();
  const typeOf = (v: ValueId): TensorType => b.type(v);
  const giveUp = (): undefined => {
    b.truncate(...marks);
    return undefined;
  };
  for (const step of g.steps) {
    const full = name + step.rel;
    if (step.kind === 'call') {
      const args = step.args.map((a) => a && mapTensors(a, resolve));
      const r = args.every((a, k) => (a === undefined) === (step.args[k] === undefined))
        ? expand(step.site, args, full, ownScope)
        : undefined;
      // A fresh result takes the next value index; any other must be the value it was.
      const ok =
        r &&
        sameUpToTensors(step.result, r, (ref, id) => {
          if (ref !== made.length) return resolve(ref) === id;
          made.push(id);
          return true;
        });
      if (!ok) return giveUp();
      continue;
    }
    const op = getOp(step.op);
    if (!op || b.hasNodeName(full)) return giveUp();
    const inputs = step.inputs.map(resolve);
    const types = inputs.map(typeOf);
    let outs: readonly TensorType[];
    let specs;
    try {
      outs = op.infer(types, step.attrs);
      specs = op.params?.(types, step.attrs) ?? [];
    } catch {
      return giveUp();
    }
    if (specs.length !== step.params) return giveUp();
    // Element counts past 2^53 − 1 are refused by interpretation, with its diagnostic.
    for (const t of [...outs, ...specs]) if (!Number.isSafeInteger(knownElements(t.shape))) return giveUp();
    for (const s of specs) made.push(b.addParam(paramName(full, s), s.shape, 'f32', s.init, s.buffer ?? false));
    const scope = scopeUnder(step.scopeRel, callerScope, name, scopes);
    const node = b.addNode(
      step.op,
      full,
      [...inputs, ...made.slice(made.length - specs.length)],
      inputs.length,
      outs,
      step.attrs,
      step.span,
      scope,
    );
    for (const o of node.outputs) made.push(o);
  }
  const res = mapTensors(g.result, (r) => resolve(r));
  return res ?? giveUp();
}
