// Continual streams: every sample at most once, the tasks' classes as the setting says,
// deterministic for a seed, and coded errors for streams the data cannot make.
import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../runtime/data/dataset.js';
import { buildStream, StreamError, type StreamSpec } from '../../runtime/data/stream.js';

/** A data set of `per` samples for each of 10 classes (1×2×2 images), labels interleaved. */
function data(per: number) {
  const n = per * 10;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const images = Float32Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4) / n);
  return makeDataset('toy', [1, 2, 2], 10, images, labels);
}

const train = data(50);
const test = data(8);
const split: StreamSpec = { kind: 'split', tasks: 5, trainPerClass: 20, testPerClass: 5 };
const blurry: StreamSpec = {
  kind: 'si_blurry',
  tasks: 5,
  disjoint: 0.5,
  blurry: 0.1,
  trainPerClass: 20,
  testPerClass: 0,
};

describe('split stream', () => {
  const s = buildStream(train, test, split, 3);
  it('delivers each chosen sample once, task after task, two classes per task', () => {
    expect(s.order.length).toBe(200);
    expect(new Set(s.order).size).toBe(200);
    expect(s.taskClasses.map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
    expect(new Set(s.taskClasses.flat()).size).toBe(10);
    s.taskClasses.forEach((cs, k) => {
      const end = s.taskStarts[k + 1] ?? s.order.length;
      for (let i = s.taskStarts[k]!; i < end; i++) expect(cs).toContain(train.labels[s.order[i]!]);
    });
  });
  it('holds out the first test samples of every class', () => {
    expect(s.testByClass.map((x) => x.length)).toEqual(Array(10).fill(5));
    s.testByClass.forEach((xs, c) => xs.forEach((i) => expect(test.labels[i]).toBe(c)));
  });
  it('is a function of the seed', () => {
    expect(buildStream(train, test, split, 3)).toEqual(s);
    expect(buildStream(train, test, split, 4).order).not.toEqual(s.order);
  });
});

describe('si_blurry stream', () => {
  it('overlaps task boundaries with blurry samples, keeps each sample once, and varies task sizes', () => {
    let imbalanced = false;
    for (const seed of [0, 1, 2, 3]) {
      const s = buildStream(train, test, blurry, seed);
      expect(new Set(s.order).size).toBe(200);
      expect(s.taskClasses.every((c) => c.length > 0)).toBe(true);
      expect(new Set(s.taskClasses.flat()).size).toBe(10);
      let foreign = 0;
      s.taskClasses.forEach((cs, k) => {
        const end = s.taskStarts[k + 1] ?? s.order.length;
        for (let i = s.taskStarts[k]!; i < end; i++) if (!cs.includes(train.labels[s.order[i]!]!)) foreign++;
      });
      // 10% of each blurry class's 20 samples (2) moved: 5 blurry classes → 10 samples
      expect(foreign).toBe(10);
      if (new Set(s.taskClasses.map((c) => c.length)).size > 1) imbalanced = true;
    }
    expect(imbalanced).toBe(true);
  });
});

describe('stream errors', () => {
  it('rejects more tasks than classes and more samples than a class has', () => {
    expect(() => buildStream(train, test, { ...split, tasks: 11 }, 0)).toThrow(StreamError);
    expect(() => buildStream(train, test, { ...split, trainPerClass: 51 }, 0)).toThrow(
      /class 0 has 50 training samples/,
    );
    expect(() => buildStream(train, test, { ...split, testPerClass: 9 }, 0)).toThrow(StreamError);
  });
});
