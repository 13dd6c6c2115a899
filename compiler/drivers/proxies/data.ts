// The batches the data-dependent proxies see: real images from `--data NAME|PATH` (a CIFAR-10
// folder, an IDX folder, Fashion-MNIST or the built-in digits), adapted to the candidate's
// input shape, deterministic given (seed, batch size).
//
// Adapting: gray images feed a 3-channel input by repeating the channel; smaller images are
// padded with zeros (the background of digits) around the centre, larger ones cropped at the
// centre; then each channel is normalised by the training split's mean and standard deviation
// (computed on the unpadded images). So NAS-Bench-201's 3×32×32 input takes the digits as
// 28×28 → 32×32 (2 pixels of border) × 3 channels. Batch k holds samples k·B … (k+1)·B−1 of
// the training split in a seeded shuffle (the trainer's epoch-0 order for that seed).
import { channelStats, epochOrder } from '../../../runtime/data/batches.js';
import type { Dataset } from '../../../runtime/data/dataset.js';
import { loadData } from '../../../runtime/data/resolve.js';

export interface ProxyBatch {
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export interface ProxyData {
  readonly batches: readonly ProxyBatch[];
  /** What the rows record as `data`, e.g. `digits 1×28×28 → 3×32×32 (pad 2, gray ×3)`. */
  readonly description: string;
}

export class ProxyDataError extends Error {}

const loaded = new Map<string, Dataset>();

function dataset(spec: string): Dataset {
  let d = loaded.get(spec);
  if (!d) loaded.set(spec, (d = loadData(spec).train));
  return d;
}

/** `count` batches of `batch` samples for an input of per-sample shape `shape` ([C, H, W]) and `classes` classes. */
export function proxyBatches(
  spec: string,
  shape: readonly number[],
  classes: number,
  batch: number,
  seed: number,
  count: number,
): ProxyData {
  const d = dataset(spec);
  return adaptBatches(d, spec, shape, classes, batch, seed, count);
}

export function adaptBatches(
  d: Dataset,
  spec: string,
  shape: readonly number[],
  classes: number,
  batch: number,
  seed: number,
  count: number,
): ProxyData {
  if (shape.length !== 3)
    throw new ProxyDataError(
      `the data proxies feed images: the model's input must be [B, C, H, W], got a per-sample shape [${shape.join(', ')}]`,
    );
  const [C, H, W] = shape as [number, number, number];
  const [c, h, w] = d.shape;
  if (c !== C && c !== 1) throw new ProxyDataError(`${spec} has ${c}-channel images; the model takes ${C} channels`);
  if (batch * count > d.count)
    throw new ProxyDataError(`${spec} has ${d.count} training images, fewer than ${count} batches of ${batch}`);
  const norm = channelStats(d);
  const order = epochOrder(d.count, seed, 0);
  const top = Math.floor((H - h) / 2);
  const left = Math.floor((W - w) / 2);
  const per = C * H * W;
  const batches: ProxyBatch[] = [];
  for (let k = 0; k < count; k++) {
    const x = new Float32Array(batch * per);
    const y = new Int32Array(batch);
    for (let s = 0; s < batch; s++) {
      const i = order[k * batch + s]!;
      y[s] = d.labels[i]! % classes;
      for (let ch = 0; ch < C; ch++) {
        const src = c === 1 ? 0 : ch;
        const mean = norm.mean[src]!;
        const std = norm.std[src]!;
        for (let r = 0; r < H; r++)
          for (let q = 0; q < W; q++) {
            const rr = r - top;
            const qq = q - left;
            const v = rr >= 0 && rr < h && qq >= 0 && qq < w ? d.images[((i * c + src) * h + rr) * w + qq]! : 0;
            x[s * per + (ch * H + r) * W + q] = (v - mean) / std;
          }
      }
    }
    batches.push({ x, y });
  }
  const how: string[] = [];
  if (H !== h || W !== w) how.push(H >= h && W >= w ? `pad ${top}` : `crop ${-top}`);
  if (c !== C) how.push(`gray ×${C}`);
  if (classes < d.classes) how.push(`labels mod ${classes}`);
  const name = d.name.replace(/-train$/, '');
  const description = `${name} ${c}×${h}×${w}${how.length ? ` → ${C}×${H}×${W} (${how.join(', ')})` : ''}`;
  return { batches, description };
}
