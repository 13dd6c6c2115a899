// Data loaders on real files and on deliberately broken ones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { batches, channelStats, epochOrder } from '../../runtime/data/batches.js';
import { readCifarBatches } from '../../runtime/data/cifar.js';
import { DataError, makeDataset, samplesOf } from '../../runtime/data/dataset.js';
import { readIdxFile } from '../../runtime/data/idx.js';
import { FASHION_MNIST_DIR, loadData, loadIdxDir } from '../../runtime/data/resolve.js';
import { idx } from '../helpers/idx.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mdl-data-'));
}

/** A tiny IDX data folder: n images of 4×4 whose pixel value encodes (index, pixel). */
function idxFolder(n: number, opts: { gzip?: boolean; labels?: number[]; truncate?: boolean } = {}): string {
  const dir = tmp();
  const img = Uint8Array.from({ length: n * 16 }, (_, k) => (k * 7) % 256);
  const lab = Uint8Array.from(opts.labels ?? Array.from({ length: n }, (_, i) => i % 10));
  let images = idx([n, 4, 4], img);
  if (opts.truncate) images = images.subarray(0, images.length - 5);
  const enc = (b: Buffer) => (opts.gzip ? gzipSync(b) : b);
  const sfx = opts.gzip ? '.gz' : '';
  writeFileSync(join(dir, `train-images-idx3-ubyte${sfx}`), enc(images));
  writeFileSync(join(dir, `train-labels-idx1-ubyte${sfx}`), enc(idx([lab.length], lab)));
  writeFileSync(join(dir, `t10k-images-idx3-ubyte${sfx}`), enc(idx([2, 4, 4], img.subarray(0, 32))));
  writeFileSync(join(dir, `t10k-labels-idx1-ubyte${sfx}`), enc(idx([2], lab.subarray(0, 2))));
  return dir;
}

describe('IDX files', () => {
  it('reads raw and gzip files to the same data', () => {
    const a = loadIdxDir(idxFolder(6), 'a');
    const b = loadIdxDir(idxFolder(6, { gzip: true }), 'b');
    expect(a.train.shape).toEqual([1, 4, 4]);
    expect(a.train.count).toBe(6);
    expect(Array.from(b.train.images)).toEqual(Array.from(a.train.images));
    expect(a.train.images[1]).toBeCloseTo(7 / 255, 7);
    expect(Array.from(a.train.labels)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a truncated file is an error naming the file and the sizes', () => {
    const dir = idxFolder(6, { truncate: true });
    expect(() => loadIdxDir(dir, 'x')).toThrow(DataError);
    expect(() => loadIdxDir(dir, 'x')).toThrow(
      /train-images-idx3-ubyte: truncated: the header promises 96 bytes .* the file has 91/,
    );
  });

  it('mismatched label counts and out-of-range labels are errors', () => {
    expect(() => loadIdxDir(idxFolder(6, { labels: [1, 2, 3] }), 'x')).toThrow(/3 labels for 6 images/);
    expect(() => loadIdxDir(idxFolder(3, { labels: [1, 12, 3] }), 'x')).toThrow(
      /label 12 of sample 1 is not a class index 0…9/,
    );
  });

  it('a file that is not IDX, and a missing file, are named', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'junk'), 'hello world');
    expect(() => readIdxFile(join(dir, 'junk'))).toThrow(/junk: not an IDX file/);
    expect(() => loadIdxDir(dir, 'x')).toThrow(/train-images-idx3-ubyte: no such file/);
    expect(() => loadData(join(dir, 'nope'))).toThrow(/nope: no such file or folder/);
  });
});

describe('CIFAR-10 binary batches', () => {
  it('reads records and rejects a partial record', () => {
    const dir = tmp();
    const rec = (label: number, v: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, v)]);
    writeFileSync(join(dir, 'b.bin'), Buffer.concat([rec(3, 255), rec(9, 0)]));
    const d = readCifarBatches('c', [join(dir, 'b.bin')]);
    expect(d.shape).toEqual([3, 32, 32]);
    expect(Array.from(d.labels)).toEqual([3, 9]);
    expect(d.images[0]).toBe(1);
    expect(d.images[3072]).toBe(0);
    writeFileSync(join(dir, 'bad.bin'), Buffer.concat([rec(3, 1), Buffer.alloc(100)]));
    expect(() => readCifarBatches('c', [join(dir, 'bad.bin')])).toThrow(
      /bad.bin: 3173 bytes is not a whole number of 3073-byte CIFAR-10 records/,
    );
  });
});

describe('real data', () => {
  it('the built-in digits: 10,000 of them, split 80/20 per class', () => {
    const d = loadData('mnist');
    expect(d.train.count + d.test.count).toBe(10_000);
    expect(d.test.count).toBe(2004);
    expect(d.train.shape).toEqual([1, 28, 28]);
    const counts = new Array(10).fill(0);
    for (const l of d.test.labels) counts[l]++;
    expect(counts.every((c) => c > 150)).toBe(true);
    const s = channelStats(d.train);
    expect(s.mean[0]).toBeGreaterThan(0.1);
    expect(s.mean[0]).toBeLessThan(0.15);
  });

  it("Fashion-MNIST from Debian's package (installed by CI): 60,000 + 10,000 images", () => {
    const d = loadData('fashion-mnist');
    expect(d.source).toBe(FASHION_MNIST_DIR);
    expect(d.train.count).toBe(60_000);
    expect(d.test.count).toBe(10_000);
    expect(d.train.shape).toEqual([1, 28, 28]);
  });
});

describe('batches', () => {
  it('epoch orders are permutations, reproducible for a seed, different across epochs', () => {
    const a = epochOrder(1000, 7, 0);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(epochOrder(1000, 7, 0))).toEqual(Array.from(a));
    expect(Array.from(epochOrder(1000, 7, 1))).not.toEqual(Array.from(a));
    expect(Array.from(epochOrder(1000, 8, 0))).not.toEqual(Array.from(a));
  });

  it('cover the data once per epoch, normalised', () => {
    const d = loadIdxDir(idxFolder(10), 'x').train;
    const norm = channelStats(d);
    const bs = [...batches(d, 4, { seed: 1, norm })];
    expect(bs.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(bs.flatMap((b) => Array.from(b.y)).sort()).toEqual(Array.from(d.labels).sort());
    const all = bs.flatMap((b) => Array.from(b.x));
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect([...batches(d, 4, { dropLast: true })].map((b) => b.size)).toEqual([4, 4]);
  });
});

describe('samplesOf', () => {
  it('copies the chosen samples in the given order, repeats included', () => {
    // Three 1×1×2 samples whose values and labels name them.
    const d = makeDataset('t', [1, 1, 2], 5, Float32Array.from([0, 0.1, 1, 1.1, 2, 2.1]), Int32Array.from([3, 4, 0]));
    const s = samplesOf(d, Uint32Array.from([2, 0, 2]));
    expect(s.count).toBe(3);
    expect([...s.labels]).toEqual([0, 3, 0]);
    expect([...s.images]).toEqual([...Float32Array.from([2, 2.1, 0, 0.1, 2, 2.1])]);
    expect([s.name, s.shape, s.classes]).toEqual(['t', [1, 1, 2], 5]);
    expect(samplesOf(d, []).count).toBe(0);
  });
});
