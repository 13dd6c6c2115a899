// A training run's checkpoint as two files, so its weights travel on their own:
// - `checkpoint.safetensors`: the model's parameters and buffers only, under their layer names,
//   which PyTorch's `load_state_dict(strict=True)` accepts as it is (and `--init`, and
//   `CompiledModel.load(dir, { weights })`); its metadata says what the weights are (model,
//   source hash, step, input normalisation);
// - `train-state-STEP.safetensors`: the optimizer's state (the tensors named `param@slot`) and
//   the run's settings, which `--resume` needs besides the weights.
//
// Each file is written atomically, but two renames are not one: the state file of a step is
// written first and carries the step in its name, the weights file last names that step, and
// older state files are removed only after it. A run killed between the two renames leaves the
// previous weights and their state file intact, so a resume always finds a consistent pair.
import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CheckpointError,
  readCheckpoint,
  removeStaleTemps,
  writeCheckpoint,
  type Checkpoint,
  type NamedTensor,
} from './safetensors.js';
import { wholeNumber } from './validate.js';

/** The format of a weights file a training run writes (metadata `format`). */
export const WEIGHTS_FORMAT = 'mdl-weights-1';
/** The format of a training-state file. */
export const STATE_FORMAT = 'mdl-train-state-1';
/** Before weights and state were split: one file with both (still resumed). */
export const LEGACY_FORMAT = 'mdl-checkpoint-1';

const STATE_FILE = /^train-state-(\d{1,15})\.safetensors$/;

/** The name of the state file of `step`, beside the weights file. */
export const stateFileOf = (weightsFile: string, step: number): string =>
  join(dirname(weightsFile), `train-state-${step}.safetensors`);

/** Optimizer state is named `param@slot`; everything else is a parameter or buffer. */
export const isOptimizerState = (name: string): boolean => name.includes('@');

/** The model's weights and buffers of a training state (what PyTorch's state_dict holds). */
export function weightsOf<T extends NamedTensor>(state: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...state].filter(([k]) => !isOptimizerState(k)));
}

export interface SavedState {
  /** Parameters, buffers and optimizer state. */
  readonly state: ReadonlyMap<string, NamedTensor>;
  readonly step: number;
  /** What the weights file says of the weights (model, source hash, normalisation, …). */
  readonly weightsMetadata: Readonly<Record<string, string>>;
  /** The run's settings (optimizer, schedule, seed, batch, …). */
  readonly stateMetadata: Readonly<Record<string, string>>;
}

/** Writes the state file of the step, then the weights file, then removes older state files. */
export function saveTrainState(weightsFile: string, s: SavedState): void {
  const stateFile = stateFileOf(weightsFile, s.step);
  writeCheckpoint(stateFile, {
    tensors: new Map([...s.state].filter(([k]) => isOptimizerState(k))),
    metadata: { ...s.stateMetadata, format: STATE_FORMAT, step: String(s.step) },
  });
  writeCheckpoint(weightsFile, {
    tensors: weightsOf(s.state),
    metadata: { ...s.weightsMetadata, format: WEIGHTS_FORMAT, step: String(s.step), train_state: basename(stateFile) },
  });
  for (const name of readdirSync(dirname(weightsFile)))
    if (STATE_FILE.test(name) && name !== basename(stateFile)) {
      try {
        unlinkSync(join(dirname(weightsFile), name));
      } catch {
        // Removed already: nothing to do.
      }
    }
}

/**
 * Reads a run's weights and the state file of their step, as one checkpoint: every tensor of
 * both, the state file's metadata (the run's settings) over the weights', and the step. A
 * checkpoint written before the split (one file with everything) is read as it is.
 */
export function readTrainState(weightsFile: string): { checkpoint: Checkpoint; step: number } {
  const w = readCheckpoint(weightsFile);
  if (w.metadata['format'] === LEGACY_FORMAT) return { checkpoint: w, step: wholeNumber(weightsFile, w, 'step') };
  if (w.metadata['format'] !== WEIGHTS_FORMAT)
    throw new CheckpointError(
      weightsFile,
      `not the weights of an mdl training run (format ${w.metadata['format'] ?? 'missing'})`,
    );
  const step = wholeNumber(weightsFile, w, 'step');
  const stateFile = stateFileOf(weightsFile, step);
  let s: Checkpoint;
  try {
    s = readCheckpoint(stateFile);
  } catch (e) {
    if (e instanceof CheckpointError)
      throw new CheckpointError(
        weightsFile,
        `its training state (optimizer and settings) ${basename(stateFile)} cannot be read: ${e.message}`,
      );
    throw e;
  }
  if (s.metadata['format'] !== STATE_FORMAT || wholeNumber(stateFile, s, 'step') !== step)
    throw new CheckpointError(stateFile, `not the training state of step ${step} of ${weightsFile}`);
  for (const k of s.tensors.keys())
    if (!isOptimizerState(k)) throw new CheckpointError(stateFile, `\`${k}\` is not optimizer state`);
  return {
    checkpoint: { tensors: new Map([...w.tensors, ...s.tensors]), metadata: { ...w.metadata, ...s.metadata } },
    step,
  };
}

/** Removes the temporary files that killed writers of the weights or state files left. */
export function removeStaleTrainTemps(weightsFile: string): void {
  removeStaleTemps(weightsFile);
  const dir = dirname(weightsFile);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.(train-state-\d{1,15}\.safetensors)\.\d+\.tmp$/.exec(name);
    if (m) removeStaleTemps(join(dir, m[1]!));
  }
}
