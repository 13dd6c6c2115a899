// Labelled image data sets as the trainer sees them: images as float32 NCHW in [0, 1] before
// normalisation, labels as int32 class indices. Every reader validates what it reads and
// reports a bad file by name, with what is wrong and what was expected.
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface Dataset {
  readonly name: string;
  /** Per-sample shape [C, H, W]. */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  /** count × C × H × W values in [0, 1]. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

export interface Split {
  readonly train: Dataset;
  readonly test: Dataset;
  /** Where the data came from, for logs and checkpoint metadata. */
  readonly source: string;
}

/** A data file that is missing, truncated, corrupt or inconsistent. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly hint?: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/**
 * The most bytes one data file may hold, or decompress to: more than any data set mdl reads
 * (Fashion-MNIST's training images are 47 MB), and a bound on what a damaged or hostile file
 * (a gzip bomb) can make mdl allocate.
 */
export const MAX_DATA_BYTES = 512 * 1024 * 1024;

/**
 * A data file's bytes: a regular file of at most MAX_DATA_BYTES, every failure a DataError that
 * names the file (a folder where a file belongs, no permission, a device).
 */
export function readDataFile(file: string): Buffer {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new DataError(file, 'no such file');
  }
  if (st.isDirectory()) throw new DataError(file, 'is a folder, not a data file');
  if (!st.isFile()) throw new DataError(file, 'is not a regular file');
  if (st.size > MAX_DATA_BYTES)
    throw new DataError(
      file,
      `${st.size} bytes is more than the ${MAX_DATA_BYTES / 1024 / 1024} MiB a data file may hold`,
    );
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataError(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** gzip-compressed bytes, decompressed to at most MAX_DATA_BYTES (a DataError past it). */
export function gunzipData(file: string, data: Uint8Array): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: MAX_DATA_BYTES });
  } catch (e) {
    if (e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new DataError(
        file,
        `decompresses to more than ${MAX_DATA_BYTES / 1024 / 1024} MiB`,
        'the file is not a data set mdl reads, or is damaged',
      );
    throw new DataError(file, `corrupt gzip data (${(e as Error).message})`, 'download the file again');
  }
}

export function makeDataset(
  name: string,
  shape: [number, number, number],
  classes: number,
  images: Float32Array,
  labels: Int32Array,
): Dataset {
  const per = shape[0] * shape[1] * shape[2];
  if (images.length !== labels.length * per)
    throw new Error(
      `${name}: ${images.length} image values for ${labels.length} labels of shape [${shape.join(', ')}]`,
    );
  return { name, shape, classes, images, labels, count: labels.length };
}

/** The samples at `indices` of a data set, as one array (count × C × H × W) and their labels. */
export function gather(d: Dataset, indices: ArrayLike<number>): { x: Float32Array; y: Int32Array } {
  const per = d.shape[0] * d.shape[1] * d.shape[2];
  const x = new Float32Array(indices.length * per);
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    x.set(d.images.subarray(i * per, (i + 1) * per), k * per);
    y[k] = d.labels[i]!;
  }
  return { x, y };
}

/** The samples `idx` of a data set, in that order, as a data set of their own. */
export function samplesOf(d: Dataset, idx: ArrayLike<number>): Dataset {
  const { x, y } = gather(d, idx);
  return makeDataset(d.name, [...d.shape], d.classes, x, y);
}

/** Checks every label is a class index; a label out of range means mislabelled data. */
export function checkLabels(file: string, labels: Int32Array, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= classes)
      throw new DataError(
        file,
        `label ${l} of sample ${i} is not a class index 0…${classes - 1}`,
        'the labels file does not belong to this data set, or is corrupt',
      );
  }
}
