// What a continual run is told: the method (its settings come from a train section's
// `continual = …`) and the stream (`stream = …`). The loop that runs it is a driver
// (compiler/drivers/continual/run.ts).
import type { StreamSpec } from '../../runtime/data/stream.js';

/**
 * The classes whose logits a training step keeps (the others are masked out of the softmax):
 * `seen` those the stream has brought so far (the official Si-Blurry trainer's exposed classes),
 * `batch` those in the step's batch and hard buffer (a task-free form of the official Disjoint
 * trainer's mask of the current task's classes), `none` all. Evaluation ranks the seen classes
 * under `seen` and `batch`, all classes under `none`.
 */
export type LogitMask = 'seen' | 'batch' | 'none';

/** How adapters are consolidated at a plateau (compiler/drivers/continual/consolidate.ts). */
export type MergeForm = 'clean' | 'separate';

export type ContinualMethod =
  | {
      /** Plain online training: each batch once, no replay, no consolidation, no penalty. */
      readonly kind: 'online';
      /** Which classes' logits training sees (mask.ts). */
      readonly mask: LogitMask;
      readonly window: number;
      readonly meanThreshold: number;
      readonly varThreshold: number;
    }
  | {
      readonly kind: 'online_lora';
      readonly mask: LogitMask;
      /** λ of the penalty (λ/2)·Σ Ω⊙θ² on the new adapters. */
      readonly lambda: number;
      /** Length of the loss window. */
      readonly window: number;
      readonly meanThreshold: number;
      readonly varThreshold: number;
      /** Hard-buffer size (highest-loss samples replayed with each batch). */
      readonly hardBuffer: number;
      readonly merge: MergeForm;
    };

export interface ContinualSpec {
  readonly method: ContinualMethod;
  readonly stream: StreamSpec;
  /** Evaluate on the seen classes every this many training samples (and at the end). */
  readonly evalEvery: number;
}

export const ONLINE_LORA_DEFAULTS = {
  lambda: 2000,
  window: 5,
  meanThreshold: 6.0,
  varThreshold: 0.1,
  hardBuffer: 4,
  merge: 'clean',
} as const;
