// `--data NAME|PATH`: the built-in digits by default, Fashion-MNIST from Debian's
// dataset-fashion-mnist package, or a folder holding IDX files (MNIST layout) or CIFAR-10
// binary batches.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isCifarDir, readCifarDir } from './cifar.js';
import { checkLabels, DataError, makeDataset, type Split } from './dataset.js';
import { readIdxPair } from './idx.js';
import { loadMnistPackage } from './mnist-package.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const IDX_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

function findIdx(dir: string, base: string): string {
  for (const f of [base, `${base}.gz`]) if (existsSync(join(dir, f))) return join(dir, f);
  throw new DataError(
    join(dir, base),
    'no such file (nor .gz)',
    `an IDX data folder holds ${Object.values(IDX_NAMES).join(', ')} (optionally .gz)`,
  );
}

export function loadIdxDir(dir: string, name: string): Split {
  const tr = readIdxPair(findIdx(dir, IDX_NAMES.trainImages), findIdx(dir, IDX_NAMES.trainLabels));
  const te = readIdxPair(findIdx(dir, IDX_NAMES.testImages), findIdx(dir, IDX_NAMES.testLabels));
  if (tr.h !== te.h || tr.w !== te.w)
    throw new DataError(
      findIdx(dir, IDX_NAMES.testImages),
      `test images are ${te.h}×${te.w}, train images ${tr.h}×${tr.w}`,
    );
  checkLabels(findIdx(dir, IDX_NAMES.trainLabels), tr.labels, 10);
  checkLabels(findIdx(dir, IDX_NAMES.testLabels), te.labels, 10);
  // An empty split would train on nothing, or report the accuracy of no samples (NaN).
  if (tr.labels.length === 0) throw new DataError(findIdx(dir, IDX_NAMES.trainImages), 'holds no samples');
  if (te.labels.length === 0) throw new DataError(findIdx(dir, IDX_NAMES.testImages), 'holds no samples');
  return {
    train: makeDataset(`${name}-train`, [1, tr.h, tr.w], 10, tr.images, tr.labels),
    test: makeDataset(`${name}-test`, [1, te.h, te.w], 10, te.images, te.labels),
    source: dir,
  };
}

export const DATA_NAMES = ['mnist', 'digits', 'fashion-mnist'];

export function loadData(spec = 'mnist'): Split {
  if (spec === 'mnist' || spec === 'digits') return loadMnistPackage();
  if (spec === 'fashion-mnist' || spec === 'fashion_mnist') {
    if (!existsSync(FASHION_MNIST_DIR))
      throw new DataError(
        FASHION_MNIST_DIR,
        'no such folder',
        "install Debian's dataset-fashion-mnist package, or pass the folder holding the IDX files",
      );
    return loadIdxDir(FASHION_MNIST_DIR, 'fashion-mnist');
  }
  if (!existsSync(spec))
    throw new DataError(
      spec,
      'no such file or folder',
      `--data takes ${DATA_NAMES.join(', ')}, or a folder of IDX files or CIFAR-10 binary batches`,
    );
  if (!statSync(spec).isDirectory())
    throw new DataError(
      spec,
      'is a file; --data takes a folder',
      'pass the folder that holds the IDX files or CIFAR-10 batches',
    );
  if (isCifarDir(spec)) {
    const { train, test } = readCifarDir(spec);
    return { train, test, source: spec };
  }
  return loadIdxDir(spec, 'idx');
}
