// Teacher–student unlearning of an encoder–decoder model (a train section's
// `unlearning = teacher_student(…)`): the graph of compiler/unlearn/teacher-student.ts trained on
// `per_class` images of every class, forget classes included, each step fed the batch, noise
// drawn as the official code draws it (noise.ts), and per-sample weights: retain_alpha on the
// retain term of retain images, α on the forget term of forget images. The official code weighs
// them by (1 ± label), doubling both terms; a factor that AdamW's update ignores (up to ε).
// The teacher starts as the trained weights; the decoder and the teacher never change.
import type { TrainingBudget } from '../../train/spec.js';
import type { Graph } from '../../ir/types.js';
import type { TeacherStudentSpec } from '../../train/teacher-student.js';
import {
  FORGET_WEIGHT,
  NOISE_INPUT,
  RETAIN_WEIGHT,
  teacherName,
  teacherStudent,
  type TeacherStudent,
} from '../../unlearn/teacher-student.js';
import type { Dataset } from '../../../runtime/data/dataset.js';
import { epochOrder, type Normalisation } from '../../../runtime/data/batches.js';
import { trainGraph } from './graph-trainer.js';
import { noiseLike } from './noise.js';

export interface TeacherStudentRun extends TrainingBudget {
  readonly model: Graph;
  readonly spec: TeacherStudentSpec;
  /** The trained model's parameters and buffers, by name. */
  readonly params: ReadonlyMap<string, ArrayLike<number>>;
  readonly data: Dataset;
  readonly norm: Normalisation;
  /** Steps between loss read-backs (the trainer's default when absent). */
  readonly logEvery?: number;
  readonly log?: (step: number, loss: number) => void;
}

export interface TeacherStudentResult {
  /** Every parameter of the model: the unlearnt encoder's and the decoder's unchanged. */
  readonly params: Map<string, Float32Array>;
  readonly seconds: number;
  readonly losses: { step: number; loss: number }[];
  readonly steps: number;
  readonly samples: { readonly retain: number; readonly forget: number };
  readonly graph: TeacherStudent;
}

/** `perClass` sample indices of every class (all when 0), in a seeded order. */
export function perClassSamples(d: Dataset, perClass: number, seed: number): number[] {
  const order = epochOrder(d.count, seed, 1_000_003);
  const taken = new Map<number, number>();
  const out: number[] = [];
  for (const i of order) {
    const c = d.labels[i]!;
    const k = taken.get(c) ?? 0;
    if (perClass > 0 && k >= perClass) continue;
    taken.set(c, k + 1);
    out.push(i);
  }
  return out;
}

/** Images `idx` of `d`: normalised for the model and as pixels (for the noise statistics). */
export function gatherImages(
  d: Dataset,
  idx: ArrayLike<number>,
  norm: Normalisation,
): { x: Float32Array; pixels: Float32Array } {
  const [c, h, w] = d.shape;
  const per = c * h * w;
  const hw = h * w;
  const x = new Float32Array(idx.length * per);
  const pixels = new Float32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) {
    const src = d.images.subarray(idx[k]! * per, (idx[k]! + 1) * per);
    pixels.set(src, k * per);
    for (let j = 0; j < per; j++) {
      const ch = Math.floor(j / hw);
      x[k * per + j] = (src[j]! - norm.mean[ch]!) / norm.std[ch]!;
    }
  }
  return { x, pixels };
}

export function normalise(pixels: Float32Array, norm: Normalisation, hw: number): Float32Array {
  const out = new Float32Array(pixels.length);
  const c = norm.mean.length;
  for (let i = 0; i < pixels.length; i++) {
    const ch = Math.floor(i / hw) % c;
    out[i] = (pixels[i]! - norm.mean[ch]!) / norm.std[ch]!;
  }
  return out;
}

export async function unlearnTeacherStudent(r: TeacherStudentRun): Promise<TeacherStudentResult> {
  const ts = teacherStudent(r.model, r.spec.embedding);
  const forget = new Set(r.spec.forgetClasses);
  const samples = perClassSamples(r.data, r.spec.perClass, r.seed);
  const nForget = samples.filter((i) => forget.has(r.data.labels[i]!)).length;
  const stepsPerEpoch = Math.floor(samples.length / r.batch);
  if (stepsPerEpoch === 0) throw new RangeError(`${samples.length} samples make no batch of ${r.batch}`);
  const init = new Map<string, ArrayLike<number>>();
  for (const name of ts.encoder) {
    const v = r.params.get(name);
    if (!v) throw new RangeError(`the trained model has no parameter \`${name}\``);
    init.set(name, v);
    init.set(teacherName(name), v);
  }
  const [, h, w] = r.data.shape;
  const res = await trainGraph({
    graph: ts.graph,
    optimizer: r.optimizer,
    lr: r.lr,
    schedule: r.schedule,
    batch: r.batch,
    steps: stepsPerEpoch * r.epochs,
    stepsPerEpoch,
    seed: r.seed,
    params: init,
    feed: (s) => {
      const epoch = Math.floor(s / stepsPerEpoch);
      const order = epochOrder(samples.length, r.seed, epoch);
      const start = (s % stepsPerEpoch) * r.batch;
      const idx = Array.from({ length: r.batch }, (_, k) => samples[order[start + k]!]!);
      const { x, pixels } = gatherImages(r.data, idx, r.norm);
      const wr = new Float32Array(r.batch);
      const wf = new Float32Array(r.batch);
      idx.forEach((i, k) => {
        if (forget.has(r.data.labels[i]!)) wf[k] = r.spec.alpha;
        else wr[k] = r.spec.retainAlpha;
      });
      return {
        [ts.input]: x,
        [NOISE_INPUT]: normalise(noiseLike(pixels, r.spec.noise, r.seed, s), r.norm, h * w),
        [RETAIN_WEIGHT]: wr,
        [FORGET_WEIGHT]: wf,
      };
    },
    ...(r.logEvery ? { logEvery: r.logEvery } : {}),
    ...(r.log ? { log: r.log } : {}),
  });
  const params = new Map<string, Float32Array>();
  for (const [k, v] of r.params) params.set(k, Float32Array.from(v));
  for (const name of ts.encoder) params.set(name, res.params.get(name)!);
  return {
    params,
    seconds: res.seconds,
    losses: res.losses,
    steps: stepsPerEpoch * r.epochs,
    samples: { retain: samples.length - nForget, forget: nForget },
    graph: ts,
  };
}
