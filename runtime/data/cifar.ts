// CIFAR-10's binary version: data_batch_1…5.bin and test_batch.bin, each a sequence of
// 3073-byte records (one label byte, then 32×32 red, green and blue planes).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkLabels, DataError, makeDataset, readDataFile, type Dataset } from './dataset.js';

const RECORD = 1 + 3 * 32 * 32;

export function readCifarBatches(name: string, files: readonly string[]): Dataset {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (!existsSync(f))
      throw new DataError(
        f,
        'no such file',
        'CIFAR-10 binary batches are data_batch_1.bin … data_batch_5.bin and test_batch.bin',
      );
    const b = readDataFile(f);
    if (b.length === 0 || b.length % RECORD !== 0)
      throw new DataError(
        f,
        `${b.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records`,
        'the file is truncated or not a CIFAR-10 binary batch',
      );
    parts.push(b);
  }
  const n = parts.reduce((s, b) => s + b.length / RECORD, 0);
  const images = new Float32Array(n * 3072);
  const labels = new Int32Array(n);
  let k = 0;
  parts.forEach((b, p) => {
    const first = k;
    for (let r = 0; r < b.length / RECORD; r++, k++) {
      labels[k] = b[r * RECORD]!;
      for (let j = 0; j < 3072; j++) images[k * 3072 + j] = b[r * RECORD + 1 + j]! / 255;
    }
    // Each file's labels are checked as that file's: a bad label names the file it is in.
    checkLabels(files[p]!, labels.subarray(first, k), 10);
  });
  return makeDataset(name, [3, 32, 32], 10, images, labels);
}

export function isCifarDir(dir: string): boolean {
  return existsSync(join(dir, 'test_batch.bin')) || existsSync(join(dir, 'data_batch_1.bin'));
}

export function readCifarDir(dir: string): { train: Dataset; test: Dataset } {
  const train = [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`)).filter((f) => existsSync(f));
  if (train.length === 0)
    throw new DataError(
      join(dir, 'data_batch_1.bin'),
      'no such file',
      'CIFAR-10 binary batches are data_batch_1.bin … data_batch_5.bin and test_batch.bin',
    );
  return {
    train: readCifarBatches('cifar10-train', train),
    test: readCifarBatches('cifar10-test', [join(dir, 'test_batch.bin')]),
  };
}
