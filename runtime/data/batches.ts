// Epochs of shuffled, normalised mini-batches, reproducible for a seed: the order of epoch e
// depends only on (seed, e), so a resumed run sees exactly the batches it would have seen.
import type { Dataset } from './dataset.js';

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; enough for shuffling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The permutation of epoch `epoch` (Fisher–Yates). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const r = rng((seed * 0x9e3779b1) ^ ((epoch + 1) * 0x85ebca6b));
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Per-channel mean and standard deviation of a data set (the training split's, by convention). */
export function channelStats(d: Dataset): Normalisation {
  const [c, h, w] = d.shape;
  const hw = h * w;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < d.count; i++) {
      const base = (i * c + ch) * hw;
      for (let j = 0; j < hw; j++) {
        const v = d.images[base + j]!;
        s += v;
        s2 += v * v;
      }
    }
    const n = d.count * hw;
    const m = s / n;
    mean.push(m);
    std.push(Math.sqrt(Math.max(s2 / n - m * m, 1e-12)));
  }
  return { mean, std };
}

export interface Batch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly size: number;
}

/** The batches of one epoch. `dropLast` drops a final short batch (training); tests keep it. */
export function* batches(
  d: Dataset,
  batch: number,
  opts: { seed?: number; epoch?: number; shuffle?: boolean; norm?: Normalisation; dropLast?: boolean } = {},
): Generator<Batch> {
  const [c, h, w] = d.shape;
  const per = c * h * w;
  const hw = h * w;
  const order = opts.shuffle === false ? undefined : epochOrder(d.count, opts.seed ?? 0, opts.epoch ?? 0);
  const n = opts.dropLast ? Math.floor(d.count / batch) * batch : d.count;
  for (let start = 0; start < n; start += batch) {
    const size = Math.min(batch, n - start);
    const x = new Float32Array(size * per);
    const y = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const i = order ? order[start + k]! : start + k;
      y[k] = d.labels[i]!;
      const src = d.images.subarray(i * per, (i + 1) * per);
      if (opts.norm)
        for (let j = 0; j < per; j++)
          x[k * per + j] = (src[j]! - opts.norm.mean[Math.floor(j / hw)]!) / opts.norm.std[Math.floor(j / hw)]!;
      else x.set(src, k * per);
    }
    yield { x, y, size };
  }
}
