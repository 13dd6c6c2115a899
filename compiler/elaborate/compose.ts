// Candidates composed from their traces (trace.ts) without building their graphs. A candidate
// whose signature has a trace, and whose callee at every hole step has an expansion kept at that
// step's site, would be replayed into exactly the trace's nodes with those expansions in place of
// the hole steps. So its graph is known without adding a node: the trace's *skeleton* (its nodes,
// each hole step one `segment` node as in segments.ts) and the expansions, each a graph of its
// own made once. Static analyses that sum over nodes or label them along the graph (compiler/
// space/traced.ts) then cost a candidate its hole steps, not its layers.
//
// The composition stands for the replay only where the replay could not have given up, which is
// checked here, once per trace or per expansion where the check allows:
// - every hole step takes one tensor and makes one (a segment node stands for it), and the
//   expansion's result is a tensor it made, of the type the recording's call made;
// - no recorded name can meet another: every expansion's layers are named under its step's root
//   (the call's prefix and `as` name), the roots do not nest, and no other layer is under one;
// - the budgets the trace and the expansions spent fit, and the layers stay under the limit.
// Anything else (an expansion not made yet among them) leaves the candidate to the replay.
import { LIMITS } from '../diagnostics/limits.js';
import { cacheSlot } from '../ir/cache-slot.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, TensorType } from '../ir/types.js';
import { sameType } from '../ir/shape.js';
import { amountVector, vectorFits } from './budget.js';
import { localType, SEGMENT_OP } from './segments.js';
import { addNodes, pathKey, type HoleStep, type KeptExpansion, type Trace } from './trace.js';

/**
 * A candidate as its trace and the expansions its callees add at the hole steps, by path group
 * (objects kept per trace, path and callee, so facts derived from them are kept on them).
 */
export interface Composition<Site> {
  readonly trace: Trace<Site>;
  readonly skeleton: Skeleton;
  readonly groups: readonly GroupParts[];
}

/** A trace's nodes as a graph, each hole step one segment node (segments.ts's op). */
export interface Skeleton {
  readonly graph: Graph;
  /** The segment node of each hole step, in order. */
  readonly segments: readonly number[];
  /** Each hole step's input type. */
  readonly inTypes: readonly TensorType[];
}

/**
 * The hole steps that call the leaf at one path: in any candidate they all call one callee, so
 * what they add is looked up once per callee (a NAS-Bench-201 trace has 90 hole steps over six
 * paths), not once per step and candidate.
 */
interface PathGroup {
  readonly path: HoleStep<unknown>['path'];
  /** Its steps' indices among the trace's hole steps, in order. */
  readonly steps: readonly number[];
  /** By callee: its expansions at those steps, in order, with what they spent and their layers. */
  readonly byCallee: Map<object, GroupParts>;
}
export interface GroupParts {
  /** The group's hole steps (indices among the trace's), in order. */
  readonly steps: readonly number[];
  /** Their expansions, in the same order. */
  readonly parts: readonly KeptExpansion[];
  /** What they spent, summed as a vector (budget.ts). */
  readonly spent: Float64Array;
  readonly layers: number;
}

/** What is known of a trace once: its skeleton, or why its candidates cannot be composed. */
interface TraceFacts {
  readonly holes: readonly HoleStep<unknown>[];
  readonly groups: readonly PathGroup[];
  readonly roots: readonly string[];
  readonly fixedNodes: number;
  /** What the trace spent outside its hole steps, as a vector (budget.ts). */
  readonly spent: Float64Array;
  readonly skeleton: Skeleton;
}

const facts = cacheSlot<TraceFacts | string>('trace facts');

/** Whether `name` is `root` or under it. */
const under = (name: string, root: string): boolean =>
  name === root || (name.length > root.length && name.startsWith(root) && name[root.length] === '.');

/** `name` and each of its dotted prefixes. */
function* prefixes(name: string): Generator<string> {
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) yield name.slice(0, i);
  yield name;
}

function traceFacts<Site>(t: Trace<Site>, rootOf: (site: Site) => string): TraceFacts | string {
  const holes: HoleStep<Site>[] = [];
  for (const s of t.steps) if (s.kind === 'hole') holes.push(s);
  if (holes.length === 0) return 'the trace has no hole step';
  const roots = holes.map((h) => rootOf(h.site));
  if (roots.includes('')) return 'a chosen call is inlined';
  const rootSet = new Set(roots);
  // Two calls of one name, or one named under another's.
  if (rootSet.size < roots.length) return 'the names of two chosen calls nest';
  for (const r of roots)
    for (const p of prefixes(r)) if (p !== r && rootSet.has(p)) return 'the names of two chosen calls nest';
  let fixedNodes = 0;
  for (const s of t.steps) {
    if (s.kind !== 'node') continue;
    fixedNodes++;
    for (const p of prefixes(s.name)) if (rootSet.has(p)) return 'a layer is named under a chosen call';
  }
  // The skeleton: the trace replayed with one segment node per hole step.
  const b = new GraphBuilder(t.name);
  for (const s of t.symbols) b.addSymbol(s);
  const slots = t.inputs.map((i) => b.addInput(i.name, i.type));
  const made: number[] = [];
  const resolve = (r: number): number => (r < 0 ? slots[-r - 1]! : made[r]!);
  const segments: number[] = [];
  const inTypes: TensorType[] = [];
  let k = 0;
  for (const s of t.steps) {
    if (s.kind === 'node') {
      if (!addNodes(b, [s], resolve, made)) return 'a layer name is taken twice';
      continue;
    }
    const r = s.result;
    if (s.slots.length !== 1 || s.made.length !== 1 || r.t !== 'tensor' || r.id !== made.length)
      return 'a chosen call does not take one tensor and make one';
    const x = resolve(s.slots[0]!);
    inTypes.push(b.type(x));
    const span = s.positional[0]?.span ?? s.keywords[0]?.[1].span;
    if (!span) return 'a chosen call has no argument';
    const n = b.addNode(SEGMENT_OP, roots[k++]!, [x], 1, [s.made[0]!], {}, span, []);
    segments.push(n.id);
    made.push(n.outputs[0]!);
  }
  for (const o of t.outputs) b.addOutput(o.name, resolve(o.ref));
  const groups = new Map<string, PathGroup>();
  holes.forEach((h, i) => {
    const key = pathKey(h.path);
    const g = groups.get(key);
    if (g) (g.steps as number[]).push(i);
    else groups.set(key, { path: h.path, steps: [i], byCallee: new Map() });
  });
  return {
    holes,
    groups: [...groups.values()],
    roots,
    fixedNodes,
    spent: amountVector(t.spent),
    skeleton: { graph: b.finish(), segments, inTypes },
  };
}

/**
 * What is known of an expansion once: its result's type when it is a tensor it made, whether
 * its layers are under `root` (its site's), and what it spent as a vector (budget.ts).
 */
interface PartFacts {
  readonly out: TensorType | undefined;
  readonly root: string;
  readonly named: boolean;
  readonly spent: Float64Array;
}
const partFacts = cacheSlot<PartFacts>('kept expansion facts');

function factsOf(part: KeptExpansion, root: string): PartFacts {
  let f = partFacts.get(part);
  if (!f || f.root !== root) {
    const r = part.result;
    partFacts.set(
      part,
      (f = {
        out: r.t === 'tensor' ? localType(part.nodes, r.id) : undefined,
        root,
        named: part.nodes.every((n) => under(n.name, root)),
        spent: amountVector(part.spent),
      }),
    );
  }
  return f;
}

/**
 * The expansions `callee` adds at a path group's steps, checked as the replay would add them;
 * a string says why the candidate is left to the replay (not kept: an expansion may be made later).
 */
function groupParts<Site>(
  f: TraceFacts,
  g: PathGroup,
  callee: object,
  partAt: (step: HoleStep<Site>, callee: object) => KeptExpansion | undefined,
): GroupParts | string {
  const parts: KeptExpansion[] = [];
  const spent = new Float64Array(f.spent.length);
  let layers = 0;
  for (const k of g.steps) {
    const h = f.holes[k] as HoleStep<Site>;
    const part = partAt(h, callee);
    if (!part) return 'an expansion not made yet';
    const p = factsOf(part, f.roots[k]!);
    if (!p.named || !p.out || !sameType(p.out, h.made[0]!))
      return 'an expansion that the replay would not add as it is';
    for (let i = 0; i < spent.length; i++) spent[i]! += p.spent[i]!;
    layers += part.nodes.length;
    parts.push(part);
  }
  return { steps: g.steps, parts, spent, layers };
}

/**
 * A candidate of trace `t` composed: `calleeAt` gives its callee at a hole step's path, `partAt`
 * the callee's kept expansion at a step, `rootOf` the name a site's call takes. A string says
 * why it is left to the replay.
 */
export function compose<Site>(
  t: Trace<Site>,
  calleeAt: (path: HoleStep<Site>['path']) => object | undefined,
  partAt: (step: HoleStep<Site>, callee: object) => KeptExpansion | undefined,
  rootOf: (site: Site) => string,
): Composition<Site> | string {
  let f = facts.get(t);
  if (f === undefined) facts.set(t, (f = traceFacts(t, rootOf)));
  if (typeof f === 'string') return f;
  const groups = new Array<GroupParts>(f.groups.length);
  const spent = f.spent.slice();
  let layers = f.fixedNodes;
  for (let i = 0; i < f.groups.length; i++) {
    const g = f.groups[i]!;
    const callee = calleeAt(g.path);
    if (!callee) return 'an expansion not made yet';
    let e = g.byCallee.get(callee);
    if (!e) {
      const made = groupParts(f, g, callee, partAt);
      if (typeof made === 'string') return made;
      g.byCallee.set(callee, (e = made));
    }
    groups[i] = e;
    for (let j = 0; j < spent.length; j++) spent[j]! += e.spent[j]!;
    layers += e.layers;
  }
  if (layers >= LIMITS.layers || !vectorFits(spent)) return 'a budget exceeded';
  return { trace: t, skeleton: f.skeleton, groups };
}
