// The roofline (compiler/kernels/roofline.ts): which roof bounds a kernel and how close it
// comes, by hand-computed cases.
import { describe, expect, it } from 'vitest';
import { roofline, rooflineTable } from '../../compiler/kernels/roofline.js';

const card = { peakGflops: 1000, bandwidthGbs: 100 }; // ridge point: 10 FLOP/byte

describe('roofline', () => {
  it('classifies by the ridge point and measures against the lower roof', () => {
    const [mem, comp, ridge] = roofline(
      [
        // 2 FLOP/byte, 2e8 FLOPs in 1 ms = 200 GFLOP/s, on a roof of 2·100 = 200: at its roof
        { name: 'mem', ms: 1, flops: 2e8, bytes: 1e8 },
        // 50 FLOP/byte, 2 ms: 1e9 FLOPs → 500 GFLOP/s of a 1000 roof
        { name: 'comp', ms: 2, flops: 1e9, bytes: 2e7 },
        { name: 'ridge', ms: 1, flops: 1e8, bytes: 1e7 },
      ],
      card,
    );
    expect(mem).toMatchObject({ gflops: 200, gbs: 100, intensity: 2, bound: 'memory', ofRoof: 1 });
    expect(comp).toMatchObject({ gflops: 500, gbs: 10, intensity: 50, bound: 'compute', ofRoof: 0.5 });
    expect(ridge!.bound).toBe('compute');
    expect(ridge!.ofRoof).toBeCloseTo(0.1, 12);
  });

  it('judges a kernel without FLOPs on bandwidth, and leaves the roof out without a card', () => {
    const [copy] = roofline([{ name: 'copy', ms: 4, flops: 0, bytes: 2e8 }], card);
    expect(copy).toMatchObject({ gflops: 0, gbs: 50, intensity: 0, bound: 'memory', ofRoof: 0.5 });
    const [bare] = roofline([{ name: 'k', ms: 1, flops: 1e6, bytes: 1e6 }]);
    expect(bare).toEqual({ name: 'k', ms: 1, flops: 1e6, bytes: 1e6, gflops: 1, gbs: 1, intensity: 1 });
    expect(() => roofline([], { peakGflops: 0, bandwidthGbs: 1 })).toThrow(RangeError);
  });

  it('tables the slowest first, with shares of the total', () => {
    const rows = roofline(
      [
        { name: 'a|b', ms: 1, flops: 1e6, bytes: 1e6 },
        { name: 'slow', ms: 3, flops: 1e6, bytes: 1e6 },
      ],
      card,
    );
    const lines = rooflineTable(rows, 5).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| slow \| 3\.000 \| 75\.0 % \|/);
    expect(lines[3]).toMatch(/^\| a\\\|b \| 1\.000 \| 25\.0 % \|/);
    expect(rooflineTable(rows, 1).split('\n')).toHaveLength(3);
  });
});
