// Checkpoints in the safetensors format (an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw little-endian data), so
// weights trained by mdl load in PyTorch, JAX or any other safetensors reader. Writes are
// atomic: the file is written beside its destination, flushed, then renamed over it, so an
// interrupted write never destroys the previous checkpoint; the temporary file a killed writer
// leaves is removed by the next one.
//
// A file is checked before any of it is used: the header's length and JSON bounded by the file,
// every entry a known dtype, a shape of whole numbers, an in-bounds byte range of exactly that
// shape's size, no two ranges overlapping, the metadata strings only. What it must hold for a
// given model is checked in ./validate.ts.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
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

/**
 * A checkpoint that cannot be used: `damaged` when the file is not a well-formed safetensors
 * file, `mismatch` when it is one but does not hold what the model needs (./validate.ts).
 */
export class CheckpointError extends Error {
  /** The diagnostic code a command reports it with: MDL5009 (cannot read), MDL5010 (does not fit). */
  readonly code: 'MDL5009' | 'MDL5010';
  constructor(
    readonly file: string,
    message: string,
    readonly kind: 'damaged' | 'mismatch' = 'damaged',
  ) {
    super(`${file}: ${message}`);
    this.code = kind === 'damaged' ? 'MDL5009' : 'MDL5010';
  }
}

/** The header is JSON text of a few hundred bytes per tensor; more than this is not a header. */
const MAX_HEADER = 100 * 1024 * 1024;
/**
 * Bytes per value of the dtypes a file may hold. F32 and I32 are read as they are; F16, BF16 and
 * F64 (what PyTorch and JAX often save) become F32, and I64 (PyTorch's integer buffers) I32 when
 * every value fits, so weights trained elsewhere load without a conversion step.
 */
const DTYPE_BYTES: Readonly<Record<string, number>> = { F32: 4, I32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

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
  const bad = (message: string): never => {
    throw new CheckpointError(file, message);
  };
  if (buf.length < 8) bad('too short to be a safetensors file');
  const n64 = buf.readBigUInt64LE(0);
  if (n64 === 0n || n64 > BigInt(Math.min(buf.length - 8, MAX_HEADER)))
    bad(`header length ${n64} does not fit in a file of ${buf.length} bytes (truncated, or not a safetensors file?)`);
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    bad('the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('the header is not a JSON object');
  const base = 8 + n;
  const size = buf.length - base;
  const entries: { name: string; dtype: string; shape: number[]; start: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>))
        if (typeof v !== 'string') bad(`metadata \`${k}\` is not a string`);
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const what = `tensor ${JSON.stringify(name)}`;
    if (typeof e['dtype'] !== 'string' || !Object.hasOwn(DTYPE_BYTES, e['dtype']))
      bad(`${what}: dtype ${JSON.stringify(e['dtype'])} is not supported (${Object.keys(DTYPE_BYTES).join(', ')})`);
    const width = DTYPE_BYTES[e['dtype'] as string]!;
    const shape = e['shape'];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      bad(`${what}: the shape ${JSON.stringify(shape)} is not a list of whole numbers`);
    const offsets = e['data_offsets'];
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    )
      bad(`${what}: data_offsets ${JSON.stringify(offsets)} are not two whole numbers`);
    const [start, end] = offsets as [number, number];
    if (start > end || end > size)
      bad(`${what}: data range [${start}, ${end}) is outside the ${size} data bytes (truncated?)`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - start !== count * width)
      bad(`${what}: ${end - start} bytes for shape [${(shape as number[]).join(', ')}] of ${width}-byte values`);
    entries.push({ name, dtype: e['dtype'] as string, shape: shape as number[], start, end });
  }
  // Each byte belongs to one tensor at most: overlapping ranges are a damaged (or hostile) file.
  const byStart = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < byStart.length; i++) {
    const p = byStart[i - 1]!;
    const q = byStart[i]!;
    if (q.start < p.end) bad(`tensors ${JSON.stringify(p.name)} and ${JSON.stringify(q.name)} overlap in the file`);
  }
  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    const data = convert(e.dtype, buf.subarray(base + e.start, base + e.end));
    if (data === undefined) bad(`tensor ${JSON.stringify(e.name)}: an I64 value does not fit in 32 bits`);
    tensors.set(e.name, { shape: e.shape, data: data! });
  }
  return { tensors, metadata };
}

/** Half-precision bits as a number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A tensor's little-endian bytes as F32 or I32 values; undefined when an I64 value does not fit. */
function convert(dtype: string, bytes: Buffer): Float32Array | Int32Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / DTYPE_BYTES[dtype]!;
  switch (dtype) {
    case 'F32':
    case 'I32': {
      const copy = new ArrayBuffer(bytes.length);
      new Uint8Array(copy).set(bytes);
      return dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy);
    }
    case 'F64':
      return Float32Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
    case 'F16':
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(view.getUint16(i * 2, true)));
    case 'BF16': {
      // bfloat16 is the upper half of a float32's bits.
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true) << 16;
      return new Float32Array(out.buffer);
    }
    default: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) return undefined;
        out[i] = Number(v);
      }
      return out;
    }
  }
}

const tempName = (file: string, pid: number): string => join(dirname(file), `.${basename(file)}.${pid}.tmp`);

/** Whether a process of this id is running (a temporary file of a live writer is left alone). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that writers of `file` killed mid-write left beside it
 * (`.NAME.PID.tmp` of a process that no longer runs); the checkpoint itself is never touched.
 */
export function removeStaleTemps(file: string): string[] {
  const dir = dirname(file);
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || alive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
  return removed;
}

export function writeCheckpoint(file: string, c: Checkpoint): void {
  removeStaleTemps(file);
  const tmp = tempName(file, process.pid);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, encodeSafetensors(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Reads and checks a checkpoint file. Only a regular file is read (a link to a device such as
 * /dev/zero would never end), and only as many bytes as it had when it was opened.
 */
export function readCheckpoint(file: string): Checkpoint {
  if (!existsSync(file)) throw new CheckpointError(file, 'no such file');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new CheckpointError(file, `cannot open it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CheckpointError(file, 'not a regular file');
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < buf.length) {
      const got = readSync(fd, buf, at, buf.length - at, at);
      if (got === 0) break;
      at += got;
    }
    return decodeSafetensors(file, buf.subarray(0, at));
  } finally {
    closeSync(fd);
  }
}
