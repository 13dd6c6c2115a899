// A train section's `unlearning = teacher_student(…)`: image-to-image unlearning (Li et al., ICLR
// 2024) of an encoder–decoder model instead of ordinary training. The section's optimizer,
// schedule, batch, epochs and seed drive it; `mdl train --init` gives the trained model.
//
//   train forget {
//     model = mae_small()
//     data = "fashion-mnist"
//     unlearning = teacher_student(embedding="norm", forget_classes=[0, 1], alpha=0.2)
//     optimizer = adamw(lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
//   }
//
// The graph it trains is compiler/unlearn/teacher-student.ts's; the loop and the evaluation are
// drivers (compiler/drivers/unlearn/teacher-student.ts).
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { repr, type V } from '../elaborate/values.js';
import type { Span } from '../source.js';

/** How forget images are replaced for the teacher (the official code's choices). */
export type NoiseKind = 'gaussian' | 'uniform';
export const NOISE_KINDS: readonly NoiseKind[] = ['gaussian', 'uniform'];

export interface TeacherStudentSpec {
  /** The layer whose output is the embedding: the encoder is everything it depends on. */
  readonly embedding: string;
  readonly forgetClasses: readonly number[];
  /** Weight of the forget term (the official README's 0.2; its code's default is 0). */
  readonly alpha: number;
  /** Weight of the retain term (the official `retain_alpha`, 1). */
  readonly retainAlpha: number;
  /**
   * `gaussian`: clamp(N(mean, std), 0, 1) per pixel with the batch's pixel mean and standard
   * deviation, as the official code draws it; `uniform`: U(0, 1).
   */
  readonly noise: NoiseKind;
  /** Training images taken per class (the official 120); 0 takes them all. */
  readonly perClass: number;
}

/** `teacher_student()`'s arguments with their defaults (the train section's signature table). */
export const TEACHER_STUDENT_SIGNATURE: Record<string, V> = {
  embedding: { t: 'str', v: 'norm' },
  forget_classes: { t: 'list', items: [] },
  alpha: { t: 'float', v: 0.2 },
  retain_alpha: { t: 'float', v: 1 },
  noise: { t: 'str', v: 'gaussian' },
  per_class: { t: 'int', v: 120 },
};

const bad = (message: string, span: Span, hint?: string): { diagnostic: Diagnostic } => ({
  diagnostic: diag('MDL8606', message, span, hint ? { hint } : {}),
});

const number = (v: V): number | undefined => (v.t === 'int' || v.t === 'float' ? v.v : undefined);

/** Checks teacher_student()'s arguments (defaults filled in); a located diagnostic when one is wrong. */
export function teacherStudentSpec(
  args: ReadonlyMap<string, V>,
  span: Span,
): { spec: TeacherStudentSpec } | { diagnostic: Diagnostic } {
  const emb = args.get('embedding')!;
  if (emb.t !== 'str' || emb.v === '')
    return bad(`teacher_student(): embedding must be a layer name, got ${repr(emb)}`, span, 'e.g. embedding="norm"');
  const fc = args.get('forget_classes')!;
  const items = fc.t === 'list' || fc.t === 'tuple' ? fc.items : fc.t === 'int' ? [fc] : undefined;
  if (!items || items.length === 0 || items.some((c) => c.t !== 'int' || c.v < 0))
    return bad(
      `teacher_student(): forget_classes must be one or more class indices, got ${repr(fc)}`,
      span,
      'e.g. forget_classes=[0, 1]',
    );
  const forgetClasses = [...new Set(items.map((c) => (c as { v: number }).v))].sort((a, b) => a - b);
  const alpha = number(args.get('alpha')!);
  const retainAlpha = number(args.get('retain_alpha')!);
  if (alpha === undefined || !(alpha >= 0))
    return bad(`teacher_student(): alpha must be a number ≥ 0, got ${repr(args.get('alpha')!)}`, span);
  if (retainAlpha === undefined || !(retainAlpha >= 0))
    return bad(`teacher_student(): retain_alpha must be a number ≥ 0, got ${repr(args.get('retain_alpha')!)}`, span);
  const noise = args.get('noise')!;
  if (noise.t !== 'str' || !(NOISE_KINDS as readonly string[]).includes(noise.v))
    return bad(
      `teacher_student(): noise must be ${NOISE_KINDS.map((k) => `"${k}"`).join(' or ')}, got ${repr(noise)}`,
      span,
      '"gaussian" draws with the batch\'s pixel mean and std, clamped to [0, 1], as the official code',
    );
  const pc = args.get('per_class')!;
  if (pc.t !== 'int' || pc.v < 0)
    return bad(`teacher_student(): per_class must be an int ≥ 0, got ${repr(pc)}`, span, '0 takes every image');
  return {
    spec: {
      embedding: emb.v,
      forgetClasses,
      alpha,
      retainAlpha,
      noise: noise.v as NoiseKind,
      perClass: pc.v,
    },
  };
}
