import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Dim } from '../../compiler/ir/types.js';
import { OPS } from '../../compiler/ops/registry.js';
import { OpError } from '../../compiler/ops/types.js';
import { apply, shapeOf, t } from './util.js';

const RUNS = { numRuns: 200 };

/** Brute force: window start positions i·s (in padded coordinates) whose window fits the padded input. */
function convPositions(n: number, k: number, s: number, p: number, d: number): number {
  let count = 0;
  for (let start = 0; start + d * (k - 1) <= n + 2 * p - 1; start += s) count++;
  return count;
}

/**
 * Brute force of PyTorch pooling: the windows that fit; in ceil mode also the one window that
 * runs past the padded end by less than a stride, if it starts inside the input or left padding.
 */
function poolPositions(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const L = n + 2 * p;
  const eff = d * (k - 1) + 1;
  let count = 0;
  for (let start = 0; start < L + s; start += s) {
    const overhang = start + eff - L;
    if (overhang <= 0) count++;
    else if (ceil && overhang < s && start < n + p) count++;
  }
  return count;
}

describe('sliding windows', () => {
  it('conv2d output size equals the count of window positions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), // H
        fc.integer({ min: 1, max: 7 }), // k
        fc.integer({ min: 1, max: 4 }), // s
        fc.integer({ min: 0, max: 3 }), // p
        fc.integer({ min: 1, max: 3 }), // d
        (h, k, s, p, d) => {
          const expected = convPositions(h, k, s, p, d);
          const run = (): readonly Dim[] =>
            shapeOf('conv2d', [t([1, 2, h, 5])], {
              out: 4,
              kernel: [k, 1],
              stride: [s, 1],
              padding: [p, 0],
              dilation: [d, 1],
            });
          if (expected === 0) expect(run).toThrow(OpError);
          else expect(run()[2]).toBe(expected);
        },
      ),
      RUNS,
    );
  });

  it('maxpool2d output size (floor and ceil) equals the count of window positions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (h, k, s, p, d, ceil) => {
          fc.pre(p <= Math.floor((d * (k - 1) + 1) / 2)); // PyTorch's padding limit
          const expected = poolPositions(h, k, s, p, d, ceil);
          const run = (): readonly Dim[] =>
            shapeOf('maxpool2d', [t([1, 1, 3, h])], {
              kernel: [1, k],
              stride: [1, s],
              padding: [0, p],
              dilation: [1, d],
              ceil_mode: ceil,
            });
          if (expected === 0) expect(run).toThrow(OpError);
          else expect(run()[3]).toBe(expected);
        },
      ),
      RUNS,
    );
  });
});

describe('broadcasting', () => {
  const dim = fc.constantFrom<Dim>(1, 1, 2, 3, 'B');
  const shape = fc.array(dim, { maxLength: 4 });

  /** Can a tensor of shape `from` be expanded to `to` (right-aligned; a dim grows only from 1)? */
  const expandsTo = (from: readonly Dim[], to: readonly Dim[]): boolean =>
    from.length <= to.length && from.every((d, i) => d === 1 || d === to[i + to.length - from.length]);

  /** All shapes of rank `r` over the dims seen. */
  const candidates = (r: number): Dim[][] => {
    let out: Dim[][] = [[]];
    for (let i = 0; i < r; i++) out = out.flatMap((s) => ([1, 2, 3, 'B'] as Dim[]).map((d) => [...s, d]));
    return out;
  };

  it('is commutative and is the least common expansion (brute force)', () => {
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        const tryAdd = (x: readonly Dim[], y: readonly Dim[]): readonly Dim[] | 'error' => {
          try {
            return shapeOf('add', [t(x), t(y)]);
          } catch (e) {
            expect(e).toBeInstanceOf(OpError);
            expect((e as OpError).code).toBe('MDL4002');
            return 'error';
          }
        };
        const ab = tryAdd(a, b);
        expect(tryAdd(b, a)).toEqual(ab);
        const common = candidates(Math.max(a.length, b.length)).filter((s) => expandsTo(a, s) && expandsTo(b, s));
        if (common.length === 0) expect(ab).toBe('error');
        else {
          expect(ab).not.toBe('error');
          const r = ab as readonly Dim[];
          expect(common).toContainEqual([...r]);
          for (const s of common) expect(expandsTo(r, s)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('reshape', () => {
  it('with -1 preserves the element count (and the symbols)', () => {
    const arb = fc
      .record({
        dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
        withB: fc.boolean(),
        seed: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
      })
      .map(({ dims, withB, seed }) => {
        // Target: the input's dims shuffled and grouped into products, B kept somewhere.
        const pool = [...dims];
        for (let i = pool.length - 1; i > 0; i--) {
          const j = seed[i]! % (i + 1);
          [pool[i], pool[j]] = [pool[j]!, pool[i]!];
        }
        const target: Dim[] = [];
        let i = 0;
        while (i < pool.length) {
          const g = 1 + (seed[(i + 5) % 12]! % 3);
          target.push(pool.slice(i, i + g).reduce((p, d) => p * d, 1));
          i += g;
        }
        if (withB) target.splice(seed[10]! % (target.length + 1), 0, 'B');
        const hole = seed[11]! % target.length;
        const holed = target.map((d, k) => (k === hole ? -1 : d));
        return { input: withB ? ['B', ...dims] : dims, target, holed };
      });
    fc.assert(
      fc.property(arb, ({ input, target, holed }) => {
        const out = shapeOf('reshape', [t(input)], { shape: holed });
        expect(out).toEqual(target);
        const count = (s: readonly Dim[]): number => s.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 7), 1);
        expect(count(out)).toBe(count(input));
        expect(out.filter((d) => typeof d === 'string')).toEqual(input.filter((d) => typeof d === 'string'));
      }),
      RUNS,
    );
  });
});

describe('split', () => {
  it('sizes sum to the dim and match outputs()', () => {
    // A list of two or more part sizes, or [k] for k equal parts of sizes[0] each.
    const parts = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 6 });
    fc.assert(
      fc.property(parts, fc.boolean(), fc.integer({ min: 1, max: 6 }), (sizes, equal, k) => {
        const n = equal ? k * sizes[0]! : sizes.reduce((p, s) => p + s, 0);
        const sections = equal ? [k] : sizes;
        const r = apply('split', [t(['B', 3, n])], { sections, axis: -1 });
        expect(r.outputs.length).toBe(OPS.split.outputs!(r.attrs));
        expect(r.outputs.reduce((p, o) => p + (o.shape[2] as number), 0)).toBe(n);
        for (const o of r.outputs) expect(o.shape.slice(0, 2)).toEqual(['B', 3]);
        if (equal) expect(new Set(r.outputs.map((o) => o.shape[2]))).toEqual(new Set([sizes[0]]));
        else expect(r.outputs.map((o) => o.shape[2])).toEqual(sizes);
      }),
      RUNS,
    );
  });

  it('rejects lists that do not add up', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 60 }),
        (sizes, n) => {
          fc.pre(sizes.reduce((p, s) => p + s, 0) !== n);
          expect(() => apply('split', [t([n])], { sections: sizes, axis: 0 })).toThrow(/add up/);
        },
      ),
      RUNS,
    );
  });
});

describe('permute', () => {
  it('permuting by the inverse permutation is the identity', () => {
    const arb = fc.array(fc.constantFrom<Dim>(1, 2, 3, 5, 'B', 'T'), { minLength: 1, maxLength: 6 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        perm: fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }),
        negate: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ shape, perm, negate }) => {
        const r = shape.length;
        const inverse = Array<number>(r);
        perm.forEach((p, i) => (inverse[p] = i));
        const asGiven = perm.map((p, i) => (negate[i] ? p - r : p)); // negative axes are fine too
        const once = shapeOf('permute', [t(shape)], { dims: asGiven });
        expect(once).toEqual(perm.map((p) => shape[p]));
        expect(shapeOf('permute', [t(once)], { dims: inverse })).toEqual(shape);
      }),
      RUNS,
    );
  });
});
