// NN-Mass (Bhardwaj, Li, Marculescu, CVPR 2021) as an IR analysis, with the official code's
// formulas (SLDGroup/NN_Mass, model_zoo.py).
//
// Two kinds of skip connection contribute:
//
// 1. DenseNet-type concatenation skips, by the density formula. Layers (conv/linear) are
//    grouped into cells of constant resolution (topology.ts). Layer L of a cell (L ≥ 2) could
//    take skip channels from every cell layer before its predecessor, A_L = Σ widths of layers
//    0..L−2 (= (L−1)·w_c in the code); t_L is the number of channels that actually arrive from
//    them through concatenations (followed back through channel slices, norms, activations).
//    ρ_c = Σ t_L / Σ A_L and the cell's mass is ρ_c · w_c · d_c.
//
// 2. Addition-type (residual) skips, by the code's per-block formulas. A residual block is a
//    sum (an `add`, or a tree of them) joining paths that fork at a common value F (their
//    nearest common dominator). With
//    inp = channels of F, n = the most conv/linear layers on one path from F to the add, and
//    that path's layers:
//      - a path through a depthwise convolution (MobileNetV2's InvertedResidual):
//        (inp + 2·hidden)·inp / (2·inp + hidden), hidden = the depthwise width;
//      - n ≥ 3 (ResNet's Bottleneck): (inp + 2·width)·inp / (2·inp + width), width = the first
//        layer's output width;
//      - n = 1 or 2 (ResNet's BasicBlock, inplanes + planes): the sum of the layers' input
//        widths;
//      - n = 0 (an add of parameter-free paths): 0.
//    The code counts every ResNet block, projection shortcut or not, and a MobileNetV2 block
//    only when it has its residual: here both follow from where the adds are.
//
// NN-Mass = the sum of both. Only the functional view counts (a `none` edge is no skip).
// For ResNet-18/34/50 and MobileNetV2 this gives 3392, 7104, 9006.93 and 1287, the values the
// official code computes.
import type { Graph } from '../ir/types.js';
import {
  cells,
  channels,
  channelSources,
  commonDominator,
  dominators,
  functionalView,
  LAYER_OPS,
  ZERO,
  type FunctionalView,
} from './topology.js';

export interface NnMassCell {
  readonly resolution: string;
  readonly width: number;
  readonly depth: number;
  /** Σ t_L: skip channels that arrive by concatenation. */
  readonly skip: number;
  /** Σ A_L: the channels that could. */
  readonly candidates: number;
  readonly density: number;
  readonly mass: number;
}

export interface NnMassBlock {
  /** The add node joining the block (its name and id). */
  readonly join: string;
  readonly node: number;
  readonly kind: 'basic' | 'bottleneck' | 'inverted_residual' | 'parameter_free';
  readonly inp: number;
  /** Layers on the longest path from the fork to the add. */
  readonly layers: number;
  readonly mass: number;
}

export interface NnMass {
  readonly total: number;
  readonly cells: readonly NnMassCell[];
  readonly blocks: readonly NnMassBlock[];
}

/** A path of layers from a block's fork: what the block formulas read of it. */
export interface PathInfo {
  readonly n: number;
  /** Output width of the first layer on the path. */
  readonly first: number;
  /** Σ input widths of the path's layers. */
  readonly inWidths: number;
  /** Width of a depthwise convolution on the path, 0 if none. */
  readonly dw: number;
}

/**
 * How a node that stands for a sub-graph (a search-space segment, compiler/space/incremental.ts)
 * carries paths: the longest path through it from its input to its output, null when none
 * crosses it, undefined for an ordinary node.
 */
export type PathThrough = (node: number) => PathInfo | null | undefined;

/** A path extended by a part of a path after it (see PathThrough): as if its layers were walked one by one. */
function extend(p: PathInfo, s: PathInfo): PathInfo {
  if (s.n === 0) return p;
  return { n: p.n + s.n, first: p.n === 0 ? s.first : p.first, inWidths: p.inWidths + s.inWidths, dw: p.dw || s.dw };
}

const EMPTY: PathInfo = { n: 0, first: 0, inWidths: 0, dw: 0 };

function isDepthwise(g: Graph, nodeId: number): boolean {
  const n = g.nodes[nodeId]!;
  const groups = n.attrs['groups'];
  return n.op === 'conv2d' && typeof groups === 'number' && groups > 1 && groups === channels(g, n.inputs[0]!);
}

/**
 * The residual blocks of a functional view, with their official-formula masses. A sum of
 * several terms (a tree of adds, each inner one used only by the next) is one join, so the
 * order in which its terms are added does not matter.
 */
export function residualBlocks(
  view: FunctionalView,
  idom: readonly number[] = dominators(view),
  through?: PathThrough,
): NnMassBlock[] {
  const g = view.graph;
  // An add whose only use is another add is part of that add's sum.
  const intoAdd = new Set<number>();
  for (const n of view.live)
    if (n.op === 'add') for (const v of view.inputs[n.id]!) if (v !== ZERO && view.uses[v] === 1) intoAdd.add(v);
  const leaves = (v: number, out: number[]) => {
    const p = view.producer[v]!;
    const n = p >= 0 ? g.nodes[p]! : undefined;
    if (n && n.op === 'add' && intoAdd.has(v) && view.inputs[p]) for (const x of view.inputs[p]!) leaves(x, out);
    else if (v !== ZERO) out.push(v);
    return out;
  };
  const blocks: NnMassBlock[] = [];
  for (const n of view.live) {
    if (n.op !== 'add' || intoAdd.has(n.outputs[0]!)) continue;
    const terms: number[] = [];
    for (const v of view.inputs[n.id]!) leaves(v, terms);
    if (terms.length < 2) continue;
    let f = terms[0]!;
    for (let i = 1; i < terms.length && f >= 0; i++) f = commonDominator(idom, f, terms[i]!);
    if (f < 0) continue;
    const best = longestLayerPath(view, f, n.id, through).atStop;
    const inp = channels(g, f);
    let kind: NnMassBlock['kind'];
    let mass: number;
    if (best.n === 0) {
      kind = 'parameter_free';
      mass = 0;
    } else if (best.dw > 0) {
      kind = 'inverted_residual';
      mass = ((inp + 2 * best.dw) * inp) / (2 * inp + best.dw);
    } else if (best.n >= 3) {
      kind = 'bottleneck';
      mass = ((inp + 2 * best.first) * inp) / (2 * inp + best.first);
    } else {
      kind = 'basic';
      mass = best.inWidths;
    }
    blocks.push({ join: n.name, node: n.id, kind, inp, layers: best.n, mass });
  }
  return blocks;
}

/**
 * Paths with the most layers from value `from` (ties: the first found), node by node up to node
 * `stop`: each value's best path, and the best among `stop`'s inputs.
 */
function longestLayerPath(
  view: FunctionalView,
  from: number,
  stop: number,
  through?: PathThrough,
): { readonly info: ReadonlyMap<number, PathInfo>; readonly atStop: PathInfo } {
  const g = view.graph;
  const info = new Map<number, PathInfo>([[from, EMPTY]]);
  let atStop = EMPTY;
  const start = view.producer[from]!;
  const live = view.live;
  // Live nodes are in id order: a block's path starts at its fork, not at the graph's input
  // (a network of many blocks would otherwise be walked from its start once per block).
  let lo = 0;
  for (let hi = live.length; lo < hi;) {
    const mid = (lo + hi) >>> 1;
    if (live[mid]!.id <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < live.length; i++) {
    const m = live[i]!;
    if (m.id > stop) break;
    let best: PathInfo | undefined;
    for (const v of view.inputs[m.id]!) {
      const p = v === ZERO ? undefined : info.get(v);
      if (p && (!best || p.n > best.n)) best = p;
    }
    if (!best) continue;
    if (m.id === stop) {
      atStop = best;
      break;
    }
    let here = best;
    const t = through?.(m.id);
    if (t === null) continue;
    if (t) here = extend(best, t);
    else if (LAYER_OPS.has(m.op)) {
      const width = channels(g, m.outputs[0]!);
      const dw = isDepthwise(g, m.id) ? width : 0;
      here = extend(best, { n: 1, first: width, inWidths: channels(g, m.inputs[0]!), dw });
    }
    for (const o of m.outputs) info.set(o, here);
  }
  return { info, atStop };
}

/** The longest path of layers from value `from` to value `to` (both in `view`); undefined when none. */
export function layerPath(view: FunctionalView, from: number, to: number): PathInfo | undefined {
  if (to === from) return EMPTY;
  const p = view.producer[to]!;
  if (p < 0) return undefined;
  return longestLayerPath(view, from, view.graph.nodes.length).info.get(to);
}

/** The concatenation (DenseNet-type) part: per cell, ρ_c · w_c · d_c. */
export function denseCells(view: FunctionalView): NnMassCell[] {
  const g = view.graph;
  return cells(view).map((c) => {
    const pos = new Map<number, number>();
    c.layers.forEach((l) => pos.set(l.node.outputs[0]!, l.index));
    let skip = 0;
    let candidates = 0;
    let before = 0; // Σ widths of layers 0..L−2
    c.layers.forEach((l, L) => {
      if (L >= 2) {
        before += c.layers[L - 2]!.width;
        candidates += before;
        const sources = channelSources(view, view.inputs[l.node.id]![0]!, 0, channels(g, l.node.inputs[0]!));
        // The predecessor is the latest cell layer feeding L; the others arrive by skips.
        let pred = -1;
        for (const s of sources.keys()) {
          const p = pos.get(s);
          if (p !== undefined && p < L && p > pred) pred = p;
        }
        for (const [s, k] of sources) {
          const p = pos.get(s);
          if (p !== undefined && p < L && p !== pred) skip += k;
        }
      }
    });
    const density = candidates > 0 ? skip / candidates : 0;
    return {
      resolution: c.resolution,
      width: c.width,
      depth: c.layers.length,
      skip,
      candidates,
      density,
      mass: density * c.width * c.layers.length,
    };
  });
}

/** The dense cells and residual blocks of a view, computed once for NN-Mass and NN-Degree. */
const parts = new WeakMap<FunctionalView, { readonly cells: NnMassCell[]; readonly blocks: NnMassBlock[] }>();
export function topologyParts(view: FunctionalView): { readonly cells: NnMassCell[]; readonly blocks: NnMassBlock[] } {
  let p = parts.get(view);
  if (!p) parts.set(view, (p = { cells: denseCells(view), blocks: residualBlocks(view) }));
  return p;
}

export function nnMass(g: Graph, view: FunctionalView = functionalView(g)): NnMass {
  const { cells: cellsOut, blocks } = topologyParts(view);
  return { total: nnMassTotal(cellsOut, blocks), cells: cellsOut, blocks };
}

/**
 * NN-Mass from its parts, the cells' masses and the residual blocks', each in order (the
 * incremental analysis of search-space candidates sums its segments' parts here too).
 */
export function nnMassTotal(
  cells: readonly { readonly mass: number }[],
  blocks: readonly { readonly mass: number }[],
): number {
  return cells.reduce((s, c) => s + c.mass, 0) + blocks.reduce((s, b) => s + b.mass, 0);
}
