// Checkpoints in the safetensors format (an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw little-endian data), so
// weights trained by mdl load in PyTorch, JAX or any other safetensors reader. Writes are
// atomic: the file is written beside its destination, flushed, then renamed over it, so an
// interrupted write never destroys the previous checkpoint.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export interface Checkpoint {
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  /** String metadata (`__metadata__` in the header): source hash, seed, step, … */
  readonly metadata: Readonly<Record<string, string>>;
}

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export function encodeSafetensors(c: Checkpoint): Buffer {
  const header: Record<string, unknown> = { __metadata__: c.metadata };
  let offset = 0;
  const names = [...c.tensors.keys()].sort();
  for (const name of names) {
    const t = c.tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw new Error(`tensor ${name}: shape [${t.shape.join(', ')}] holds ${n} values, data has ${t.data.length}`);
    header[name] = {
      dtype: t.data instanceof Int32Array ? 'I32' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const t = c.tensors.get(name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(file: string, buf: Buffer): Checkpoint {
  if (buf.length < 8) throw new CheckpointError(file, 'too short to be a safetensors file');
  const n = Number(buf.readBigUInt64LE(0));
  if (n <= 0 || 8 + n > buf.length)
    throw new CheckpointError(file, `header length ${n} does not fit in a file of ${buf.length} bytes (truncated?)`);
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw new CheckpointError(file, 'the header is not valid JSON');
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [s, t] = e.data_offsets ?? [];
    if (typeof s !== 'number' || typeof t !== 'number' || base + t > buf.length || s > t)
      throw new CheckpointError(file, `tensor ${name}: data range [${s}, ${t}) is outside the file (truncated?)`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (t - s !== count * 4)
      throw new CheckpointError(file, `tensor ${name}: ${t - s} bytes for shape [${e.shape.join(', ')}]`);
    const bytes = buf.subarray(base + s, base + t);
    const copy = new ArrayBuffer(bytes.length);
    new Uint8Array(copy).set(bytes);
    if (e.dtype === 'F32') tensors.set(name, { shape: e.shape, data: new Float32Array(copy) });
    else if (e.dtype === 'I32') tensors.set(name, { shape: e.shape, data: new Int32Array(copy) });
    else throw new CheckpointError(file, `tensor ${name}: dtype ${e.dtype} is not supported (F32, I32)`);
  }
  return { tensors, metadata: (header['__metadata__'] as Record<string, string> | undefined) ?? {} };
}

export function writeCheckpoint(file: string, c: Checkpoint): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, encodeSafetensors(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function readCheckpoint(file: string): Checkpoint {
  if (!existsSync(file)) throw new CheckpointError(file, 'no such file');
  return decodeSafetensors(file, readFileSync(file));
}
