// The logit mask of classes not seen yet (the official Online-LoRA / Si-Blurry trainers mask the
// logits of classes the stream has not exposed): the training graph gets an input
// `class_mask` [classes], 0 for a seen class and a large negative number for the others, added to
// the logits before the loss. Unseen classes then take no probability and get no gradient, so
// the head is not pushed away from classes that have not arrived. Inference is unmasked.
import { GraphEditor } from '../../autodiff/builder.js';
import type { Graph } from '../../ir/types.js';
import { lookupOp } from '../../ops/registry.js';
import { verifyGraph } from '../../ops/verify.js';

export const CLASS_MASK = 'class_mask';

/** What an unseen class's logit gets added: far below any logit, finite (no inf − inf). */
export const UNSEEN = -1e4;

/** `g` with its one output (logits [B, C]) plus the input `class_mask` [C]. */
export function maskLogits(g: Graph): Graph {
  const ed = new GraphEditor(g);
  const out = ed.outputs[0]!;
  const classes = ed.type(out.value).shape.at(-1) as number;
  const mask = ed.addInput(CLASS_MASK, { shape: [classes], dtype: 'f32' });
  const add = lookupOp('add')!;
  const node = ed.addNode(
    'add',
    CLASS_MASK,
    [out.value, mask],
    2,
    add.infer([ed.type(out.value), ed.type(mask)], {}),
    {},
    undefined,
  );
  ed.outputs[0] = { name: out.name, value: node.outputs[0]! };
  const masked = ed.finish(g.name);
  verifyGraph(masked);
  return masked;
}

/** The mask values for the classes seen so far. */
export function maskValues(classes: number, seen: ReadonlySet<number>): Float32Array {
  return Float32Array.from({ length: classes }, (_, c) => (seen.has(c) ? 0 : UNSEEN));
}
