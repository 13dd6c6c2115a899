// A trained model's weights for the commands that start from them (`mdl unlearn`, `mdl
// rashomon`): the checkpoint read and checked against the model, every parameter and buffer
// present with the model's shape, or a located error naming what is missing or wrong.
import type { Graph } from '../ir/types.js';
import { CliError } from './errors.js';

export interface ModelCheckpoint {
  /** The checkpoint's metadata (normalisation, seed, …). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every parameter and buffer of the model, by name. */
  readonly params: ReadonlyMap<string, Float32Array>;
}

export async function readModelCheckpoint(file: string, g: Graph): Promise<ModelCheckpoint> {
  // The runtime is loaded only by the commands that read weights.
  const { readCheckpoint, CheckpointError } = await import('../../runtime/checkpoint/safetensors.js');
  let ckpt;
  try {
    ckpt = readCheckpoint(file);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError('MDL5009', e.message);
    throw e;
  }
  const params = new Map<string, Float32Array>();
  for (const p of g.params) {
    const t = ckpt.tensors.get(p.name);
    if (!t)
      throw new CliError(
        'MDL5010',
        `${file} has no \`${p.name}\` for ${g.name}`,
        'give a checkpoint of this model, as mdl train writes it',
      );
    if (
      p.shape.length !== t.shape.length ||
      p.shape.some((d, i) => d !== t.shape[i]) ||
      !(t.data instanceof Float32Array)
    )
      throw new CliError(
        'MDL5010',
        `${file}: \`${p.name}\` has shape [${t.shape.join(', ')}], the model's is [${p.shape.join(', ')}]`,
      );
    params.set(p.name, t.data);
  }
  return { metadata: ckpt.metadata, params };
}
