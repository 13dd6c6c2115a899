// Labelled image data sets as the trainer sees them: images as float32 NCHW in [0, 1] before
// normalisation, labels as int32 class indices. Every reader validates what it reads and
// reports a bad file by name, with what is wrong and what was expected.

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
