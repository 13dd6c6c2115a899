// Where teacher–student unlearning moved the encoder: on a set of images, the mean squared
// distance (the loss's per-sample measure) between the student's embedding of each image and
// (a) the teacher's embedding of the same image — the drift, which should stay near 0 on retain
// images — and (b) the teacher's embedding of the noise image the loss pairs it with — which the
// forget term pulls down on forget images. The teacher–student graph computes both as its
// outputs `retain_distance` and `forget_distance`, so the probe runs that graph forward with the
// student's and the teacher's weights; the noise is drawn as in training (noise.ts), seeded by
// the batch's index, and the masks are those of the run's seed, alike for the three calls.
import type { NoiseKind } from '../../train/teacher-student.js';
import {
  FORGET_DISTANCE,
  FORGET_WEIGHT,
  NOISE_INPUT,
  RETAIN_DISTANCE,
  RETAIN_WEIGHT,
  teacherName,
  type TeacherStudent,
} from '../../unlearn/teacher-student.js';
import type { Dataset } from '../../../runtime/data/dataset.js';
import type { Normalisation } from '../../../runtime/data/batches.js';
import type { ProxyBackend } from '../proxies/backend.js';
import { noiseLike } from './noise.js';
import { gatherImages, normalise } from './teacher-student.js';

export interface EmbeddingDistances {
  /** Mean over the images of ‖E_student(x) − E_teacher(x)‖². */
  readonly drift: number;
  /** Mean over the images of ‖E_student(x) − E_teacher(noise)‖². */
  readonly toNoise: number;
}

/** The images' noise batch as the model sees it: drawn in pixels, then normalised. */
export function noiseBatch(
  pixels: Float32Array,
  kind: NoiseKind,
  seed: number,
  batchIndex: number,
  norm: Normalisation,
  hw: number,
): Float32Array {
  return normalise(noiseLike(pixels, kind, seed, batchIndex), norm, hw);
}

export async function embeddingDistances(r: {
  readonly backend: ProxyBackend;
  readonly ts: TeacherStudent;
  /** The student's encoder weights (the unlearnt ones, or the original's for "before"). */
  readonly student: ReadonlyMap<string, ArrayLike<number>>;
  /** The teacher's: the original model's. */
  readonly teacher: ReadonlyMap<string, ArrayLike<number>>;
  readonly data: Dataset;
  readonly samples: readonly number[];
  readonly norm: Normalisation;
  readonly noise: NoiseKind;
  readonly seed: number;
  readonly batch: number;
}): Promise<EmbeddingDistances> {
  const params = new Map<string, Float64Array>();
  for (const name of r.ts.encoder) {
    params.set(name, Float64Array.from(r.student.get(name)!));
    params.set(teacherName(name), Float64Array.from(r.teacher.get(name)!));
  }
  const prog = await r.backend.compile({ graph: r.ts.graph, batch: r.batch, training: false, params });
  const [, h, w] = r.data.shape;
  const ones = new Float32Array(r.batch).fill(1);
  let drift = 0;
  let toNoise = 0;
  const n = r.samples.length;
  try {
    for (let start = 0, b = 0; start < n; start += r.batch, b++) {
      const size = Math.min(r.batch, n - start);
      const idx = Array.from({ length: r.batch }, (_, k) => r.samples[start + Math.min(k, size - 1)]!);
      const { x, pixels } = gatherImages(r.data, idx, r.norm);
      const out = await prog.run({
        [r.ts.input]: x,
        [NOISE_INPUT]: noiseBatch(pixels, r.noise, r.seed, b, r.norm, h * w),
        [RETAIN_WEIGHT]: ones,
        [FORGET_WEIGHT]: ones,
      });
      const dr = out.outputs.get(RETAIN_DISTANCE)!;
      const df = out.outputs.get(FORGET_DISTANCE)!;
      for (let k = 0; k < size; k++) {
        drift += dr[k]!;
        toNoise += df[k]!;
      }
    }
  } finally {
    prog.dispose();
  }
  return { drift: drift / n, toNoise: toNoise / n };
}
