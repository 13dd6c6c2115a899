// Coarse instances: a search-space candidate elaborated with each top-level block call of its
// model (a cell, a stage, a reduction block) left unexpanded. Such a call is a pure function of
// its memo key (memo.ts: the block, its compile-time arguments, its input types), so its
// expansion is recorded once as a template and every later call with the same key stands in
// the graph as one `segment` node whose output has the template's result type. What the
// expansion would have added is then analysed once per template, not once per candidate
// (compiler/space/incremental.ts composes the analyses).
//
// Only calls with exactly one tensor argument and one tensor result become segments; any
// other call is expanded into the graph as usual, so a coarse graph is always a valid
// elaboration with some sub-graphs folded.
import type { DType, TensorType } from '../ir/types.js';
import { TemplateCache, type Template } from './memo.js';

/** The op of a folded block call. It is no registered op: only coarse graphs contain it. */
export const SEGMENT_OP = '§segment';

/** A template that can stand as one node: its single input's type and its result's type. */
export interface SegmentTemplate {
  readonly template: Template;
  readonly inType: TensorType;
  readonly outType: TensorType;
}

/** What a coarse instance records: per segment node id, the expansion it stands for. */
export class SegmentRecorder {
  readonly segments = new Map<number, SegmentTemplate>();
  /** Layers the folded expansions hold (the layer budget counts them as if expanded). */
  folded = 0;
  constructor(readonly cache: TemplateCache<SegmentTemplate>) {}
}

/**
 * The type of local value `ref` among recorded nodes, which number the parameters each makes and
 * then its outputs, node by node (a template's, memo.ts; a kept expansion's, trace.ts);
 * undefined for a slot.
 */
export function localType(
  nodes: readonly {
    readonly params: readonly { readonly shape: readonly number[]; readonly dtype: DType }[];
    readonly outTypes: readonly TensorType[];
  }[],
  ref: number,
): TensorType | undefined {
  if (ref < 0) return undefined;
  let k = 0;
  for (const n of nodes) {
    for (const p of n.params) if (k++ === ref) return { shape: p.shape, dtype: p.dtype };
    for (const ty of n.outTypes) if (k++ === ref) return ty;
  }
  return undefined;
}

/** The segment form of a template with one slot of type `inType`; undefined when it has none. */
export function segmentOf(t: Template, inType: TensorType): SegmentTemplate | undefined {
  if (t.result.t !== 'tensor') return undefined;
  const outType = localType(t.nodes, t.result.id);
  return outType ? { template: t, inType, outType } : undefined;
}

/**
 * Segment templates kept between candidates, with the memo's generations (memo.ts): those only
 * one candidate used are dropped within a few candidates, those used again are kept.
 */
export function segmentCache(entries = 4096, probation = 256): TemplateCache<SegmentTemplate> {
  return new TemplateCache(entries, probation);
}
