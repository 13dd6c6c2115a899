// A train section's `unlearning = teacher_student(…)`: its settings with defaults, and located
// errors for values out of range; the noise that replaces forget images; the Fréchet distance
// its evaluation reports.
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import { frechetDistance, symmetricEigen } from '../../compiler/unlearn/frechet.js';
import { noiseLike } from '../../compiler/drivers/unlearn/noise.js';
import { memoryHost } from '../helpers/compile.js';
import { rng } from '../kernels/harness.js';

const MODEL = `model net(x: Tensor[B, 1, 8, 8]) {
  return linear(flatten(x), 10) as "fc"
}
`;

function compile(section: string) {
  const r = compileTraining({ path: 't.mdl', text: MODEL + section }, memoryHost({}));
  return { ...r, rendered: renderAll(r.diagnostics, r.sources) };
}

describe('unlearning = teacher_student(…)', () => {
  it('gives the settings with the official defaults', () => {
    const r = compile('train f {\n  model = net()\n  unlearning = teacher_student(forget_classes=[8, 1, 1])\n}');
    expect(r.rendered).toBe('');
    expect(r.spec!.teacherStudent).toEqual({
      embedding: 'norm',
      forgetClasses: [1, 8],
      alpha: 0.2,
      retainAlpha: 1,
      noise: 'gaussian',
      perClass: 120,
    });
    const plain = compile('train f {\n  model = net()\n}');
    expect(plain.spec!.teacherStudent).toBeUndefined();
  });

  it('reports values out of range at the setting, with the code of the range', () => {
    const cases: [string, RegExp][] = [
      [
        'teacher_student()',
        /t\.mdl:6:3: error MDL8606: teacher_student\(\): forget_classes must be one or more class indices/,
      ],
      [
        'teacher_student(forget_classes=[1], alpha=-1)',
        /MDL8606: teacher_student\(\): alpha must be a number ≥ 0, got -1/,
      ],
      [
        'teacher_student(forget_classes=[1], noise="salt")',
        /MDL8606: teacher_student\(\): noise must be "gaussian" or "uniform"/,
      ],
      [
        'teacher_student(forget_classes=[1], per_class=-2)',
        /MDL8606: teacher_student\(\): per_class must be an int ≥ 0/,
      ],
      [
        'teacher_student(forget_classes=[1], embeding="x")',
        /MDL3001: teacher_student\(\) has no argument `embeding`[\s\S]*did you mean `embedding`\?/,
      ],
      ['sgd()', /`unlearning` must be one of teacher_student\(…\)/],
      [
        'teacher_student(forget_classes=[1])\n  continual = online()',
        /MDL8606: `unlearning` and `continual` exclude each other/,
      ],
    ];
    for (const [v, want] of cases)
      expect(compile(`train f {\n  model = net()\n  unlearning = ${v}\n}`).rendered).toMatch(want);
  });
});

describe('the Fréchet distance', () => {
  const r = rng(4);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());

  it('is 0 between a set and itself, and the closed form between diagonal Gaussians', () => {
    const n = 4000;
    const d = 3;
    const x = Float64Array.from({ length: n * d }, () => normal());
    expect(frechetDistance(x, n, x, n, d)).toBeLessThan(1e-9);
    // y = 2x + (1, 0, 0): ‖Δμ‖² = 1 + (means of x, nearly 0); Σ_y = 4 Σ_x, so the distance is
    // tr Σ_x + 4 tr Σ_x − 2·2 tr Σ_x = tr Σ_x ≈ 3, plus the mean term ≈ 1.
    const y = x.map((v, i) => 2 * v + (i % d === 0 ? 1 : 0));
    const fd = frechetDistance(x, n, y, n, d);
    expect(fd).toBeGreaterThan(3.7);
    expect(fd).toBeLessThan(4.3);
  });

  it('decomposes a symmetric matrix: A·v = λ·v for every pair', () => {
    const d = 5;
    const b = Float64Array.from({ length: d * d }, () => r() - 0.5);
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) a[i * d + j]! += b[i * d + k]! * b[j * d + k]!;
    const { values, vectors } = symmetricEigen(a, d);
    for (let k = 0; k < d; k++)
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let j = 0; j < d; j++) av += a[i * d + j]! * vectors[j * d + k]!;
        expect(av).toBeCloseTo(values[k]! * vectors[i * d + k]!, 10);
      }
  });
});

describe('the noise images', () => {
  const r = rng(8);
  // A dark batch: pixel mean about 0.2, standard deviation about 0.1.
  const batch = Float32Array.from({ length: 20_000 }, () => 0.1 + 0.2 * r());
  const stats = (x: Float32Array) => {
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    return { m, s: Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1)) };
  };

  it('gaussian: the batch pixel mean and std, clamped to [0, 1], a new draw each step', () => {
    const n = noiseLike(batch, 'gaussian', 3, 0);
    const [b, z] = [stats(batch), stats(n)];
    expect(Math.abs(z.m - b.m)).toBeLessThan(0.01);
    expect(Math.abs(z.s - b.s)).toBeLessThan(0.01);
    expect(Math.min(...n)).toBeGreaterThanOrEqual(0);
    expect([...noiseLike(batch, 'gaussian', 3, 0)]).toEqual([...n]);
    expect(noiseLike(batch, 'gaussian', 3, 1)[0]).not.toBe(n[0]);
    // A bright batch clamps at 1.
    expect(
      Math.max(
        ...noiseLike(
          batch.map((v) => v + 0.8),
          'gaussian',
          3,
          0,
        ),
      ),
    ).toBe(1);
  });

  it('uniform: U(0, 1) whatever the batch', () => {
    const u = stats(noiseLike(batch, 'uniform', 3, 0));
    expect(Math.abs(u.m - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(u.s - Math.sqrt(1 / 12))).toBeLessThan(0.01);
  });
});
