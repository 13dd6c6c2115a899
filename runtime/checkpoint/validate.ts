// What a checkpoint must hold for the model it is loaded into, checked before a single value
// is used: a checkpoint with a tensor missing, renamed, of another shape or another dtype
// would otherwise "resume" from fresh weights, or train on float bits read as integers.
import { CheckpointError, type Checkpoint, type NamedTensor } from './safetensors.js';

/** A tensor the model has: its name, shape and element type. */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype: 'F32' | 'I32';
}

/** The layout of a training state (what `state()` returns): the tensors a checkpoint must match. */
export function layoutOf(state: ReadonlyMap<string, NamedTensor>): Map<string, TensorSpec> {
  return new Map(
    [...state].map(([k, t]) => [k, { shape: t.shape, dtype: t.data instanceof Int32Array ? 'I32' : 'F32' }]),
  );
}

const dtypeOf = (t: NamedTensor): 'F32' | 'I32' => (t.data instanceof Int32Array ? 'I32' : 'F32');

function names(xs: readonly string[]): string {
  return xs.slice(0, 4).join(', ') + (xs.length > 4 ? `, … (${xs.length} in all)` : '');
}

/**
 * How much of the model a checkpoint must cover:
 * - `all`: every tensor of the state, parameters and optimizer state (`--resume`), and nothing else;
 * - `weights`: every parameter and buffer (names without `@`), optimizer state optional, nothing
 *   else (loading weights into a compiled model);
 * - `some`: whatever it holds of the model, by name; other tensors are ignored (`--init`).
 * Every tensor it holds of the model must have the model's shape and dtype.
 */
export type Coverage = 'all' | 'weights' | 'some';

export function checkFits(
  file: string,
  c: Checkpoint,
  model: ReadonlyMap<string, TensorSpec>,
  coverage: Coverage,
): void {
  const misfit = (message: string): never => {
    throw new CheckpointError(file, message, 'mismatch');
  };
  for (const [k, t] of c.tensors) {
    const want = model.get(k);
    if (!want) continue;
    if (t.shape.length !== want.shape.length || t.shape.some((d, i) => d !== want.shape[i]))
      misfit(`\`${k}\` has shape [${t.shape.join(', ')}], the model's is [${want.shape.join(', ')}]`);
    if (dtypeOf(t) !== want.dtype) misfit(`\`${k}\` is ${dtypeOf(t)}, the model's is ${want.dtype}`);
  }
  if (coverage === 'some') return;
  const missing = [...model.keys()].filter((k) => !c.tensors.has(k) && (coverage === 'all' || !k.includes('@')));
  const extra = [...c.tensors.keys()].filter((k) => !model.has(k));
  if (missing.length > 0)
    misfit(
      `${missing.length} of the model's ${model.size} tensors ${missing.length === 1 ? 'is' : 'are'} missing: ${names(missing)}` +
        (extra.length > 0 ? `; it holds others instead: ${names(extra)}` : ''),
    );
  if (extra.length > 0) misfit(`it holds tensors the model does not have: ${names(extra)}`);
}

/** A metadata field that must be a whole number (a step count): its value, or a CheckpointError. */
export function wholeNumber(file: string, c: Checkpoint, key: string): number {
  const v = c.metadata[key];
  const n = v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n))
    throw new CheckpointError(
      file,
      `metadata \`${key}\` is ${v === undefined ? 'missing' : JSON.stringify(v)}, not a whole number`,
    );
  return n;
}
