// Continual-learning streams built from a labelled split: the order in which training samples
// arrive (each exactly once), which classes each task brings, and a held-out test set per class.
//   split      class-incremental disjoint tasks (Split-MNIST, Split-Fashion-MNIST): the classes,
//              in a seeded order, cut into `tasks` groups of (nearly) equal size; each task's
//              samples shuffled, the tasks one after the other.
//   si_blurry  the Si-Blurry setting (Moon et al., ICCV 2023): a fraction `disjoint` of the
//              classes are disjoint classes, the rest blurry classes; both are cut into tasks at
//              random points (so tasks are imbalanced), and a fraction `blurry` of each blurry
//              class's samples is moved into other, random tasks, so boundaries overlap.
// Everything depends only on the seed: the same seed gives the same stream.
import { rng } from './batches.js';
import type { Dataset } from './dataset.js';

export type StreamSpec =
  | {
      readonly kind: 'split';
      readonly tasks: number;
      /** Training samples per class (0: all of them). */
      readonly trainPerClass: number;
      /** Test samples per class (0: all of them). */
      readonly testPerClass: number;
    }
  | {
      readonly kind: 'si_blurry';
      readonly tasks: number;
      readonly disjoint: number;
      readonly blurry: number;
      readonly trainPerClass: number;
      readonly testPerClass: number;
    };

export interface Stream {
  /** Training-set indices in arrival order; each sample at most once. */
  readonly order: Uint32Array;
  /** The sample position (in `order`) at which each task starts. */
  readonly taskStarts: readonly number[];
  /** The classes each task brings (its main classes; blurry samples may come earlier). */
  readonly taskClasses: readonly (readonly number[])[];
  /** Test-set indices per class. */
  readonly testByClass: readonly (readonly number[])[];
}

/** A stream that cannot be built from this data with these settings. */
export class StreamError extends Error {}

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function byClass(d: Dataset): number[][] {
  const out: number[][] = Array.from({ length: d.classes }, () => []);
  for (let i = 0; i < d.count; i++) out[d.labels[i]!]!.push(i);
  return out;
}

/** `items` cut into `parts` groups at random points (groups may be empty). */
function randomCut<T>(items: readonly T[], parts: number, r: () => number): T[][] {
  const cuts = Array.from({ length: parts - 1 }, () => Math.floor(r() * (items.length + 1))).sort((a, b) => a - b);
  const bounds = [0, ...cuts, items.length];
  return Array.from({ length: parts }, (_, k) => items.slice(bounds[k], bounds[k + 1]));
}

/** Builds the stream of `spec` over a train and a test split, for `seed`. */
export function buildStream(train: Dataset, test: Dataset, spec: StreamSpec, seed: number): Stream {
  const C = train.classes;
  if (spec.tasks < 1 || spec.tasks > C)
    throw new StreamError(`a stream of ${spec.tasks} tasks needs between 1 and ${C} tasks for ${C} classes`);
  const r = rng((seed * 0x2545f491) ^ 0x51ab1e);
  const trainBy = byClass(train);
  const testBy = byClass(test);
  for (let c = 0; c < C; c++) {
    const need = Math.max(spec.trainPerClass, 1);
    if (trainBy[c]!.length < need)
      throw new StreamError(
        `class ${c} has ${trainBy[c]!.length} training samples, the stream asks for ${spec.trainPerClass || 'at least 1'}`,
      );
    if (testBy[c]!.length < Math.max(spec.testPerClass, 1))
      throw new StreamError(
        `class ${c} has ${testBy[c]!.length} test samples, the stream asks for ${spec.testPerClass || 'at least 1'}`,
      );
  }
  // Each class's training samples in a seeded order, cut to trainPerClass.
  const samples = trainBy.map((xs) => {
    const s = shuffle([...xs], r);
    return spec.trainPerClass > 0 ? s.slice(0, spec.trainPerClass) : s;
  });
  const testByClass = testBy.map((xs) => (spec.testPerClass > 0 ? xs.slice(0, spec.testPerClass) : xs));
  const classes = shuffle(
    Array.from({ length: C }, (_, c) => c),
    r,
  );
  const taskSamples: number[][] = Array.from({ length: spec.tasks }, () => []);
  let taskClasses: number[][];
  if (spec.kind === 'split') {
    taskClasses = Array.from({ length: spec.tasks }, (_, k) =>
      classes.slice(Math.round((k * C) / spec.tasks), Math.round(((k + 1) * C) / spec.tasks)),
    );
    taskClasses.forEach((cs, k) => cs.forEach((c) => taskSamples[k]!.push(...samples[c]!)));
  } else {
    if (!(spec.disjoint >= 0 && spec.disjoint <= 1) || !(spec.blurry >= 0 && spec.blurry <= 1))
      throw new StreamError(`si_blurry: disjoint and blurry are fractions in [0, 1]`);
    const nDisjoint = Math.round(spec.disjoint * C);
    const disjoint = classes.slice(0, nDisjoint);
    const blurry = classes.slice(nDisjoint);
    // Random cut points make imbalanced tasks; a task with no class at all is cut again.
    let tries = 0;
    do {
      const d = randomCut(disjoint, spec.tasks, r);
      const b = randomCut(blurry, spec.tasks, r);
      taskClasses = d.map((cs, k) => [...cs, ...b[k]!]);
      if (++tries > 1000)
        throw new StreamError(`si_blurry: cannot cut ${C} classes into ${spec.tasks} non-empty tasks`);
    } while (taskClasses.some((cs) => cs.length === 0));
    const blurrySet = new Set(blurry);
    taskClasses.forEach((cs, k) =>
      cs.forEach((c) => {
        const xs = samples[c]!;
        if (!blurrySet.has(c) || spec.tasks === 1) return void taskSamples[k]!.push(...xs);
        // A fraction `blurry` of a blurry class's samples goes to other tasks, chosen at random.
        const moved = Math.round(spec.blurry * xs.length);
        taskSamples[k]!.push(...xs.slice(moved));
        for (const i of xs.slice(0, moved)) {
          let t = Math.floor(r() * (spec.tasks - 1));
          if (t >= k) t++;
          taskSamples[t]!.push(i);
        }
      }),
    );
  }
  const order: number[] = [];
  const taskStarts: number[] = [];
  for (const xs of taskSamples) {
    taskStarts.push(order.length);
    order.push(...shuffle(xs, r));
  }
  return { order: Uint32Array.from(order), taskStarts, taskClasses, testByClass };
}
