import { describe, expect, it } from 'vitest';
import { apply, expectApplyError, shapeOf, t } from './util.js';

describe('maxpool2d', () => {
  it("ResNet-18's stem pool: k3 s2 p1 on 112 → 56, 9 compares per output", () => {
    const r = apply('maxpool2d', [t(['B', 64, 112, 112])], { kernel: 3, stride: 2, padding: 1 });
    expect(r.outputs[0]!.shape).toEqual(['B', 64, 56, 56]);
    expect(r.cost({ B: 1 })).toEqual({ macs: 0, flops: 64 * 56 * 56 * 9 });
    expect(r.params).toEqual([]);
  });

  it('stride defaults to the kernel (null arrives, kernel used)', () => {
    const r = apply('maxpool2d', [t([1, 8, 28, 28])], { kernel: 2 });
    expect(r.attrs['stride']).toBeNull();
    expect(r.outputs[0]!.shape).toEqual([1, 8, 14, 14]);
    expect(shapeOf('maxpool2d', [t([1, 8, 28, 30])], { kernel: [2, 3] })).toEqual([1, 8, 14, 10]);
    expect(shapeOf('maxpool2d', [t([1, 8, 28, 28])], { kernel: 2, stride: 1 })).toEqual([1, 8, 27, 27]);
  });

  it('ceil_mode adds a partial window, but not one starting in the right padding', () => {
    expect(shapeOf('maxpool2d', [t([1, 1, 5, 5])], { kernel: 2, ceil_mode: true })).toEqual([1, 1, 3, 3]);
    expect(shapeOf('maxpool2d', [t([1, 1, 5, 5])], { kernel: 2 })).toEqual([1, 1, 2, 2]);
    // k2 s2 p1 on 5: the naive ceil count is 4, but the 4th window starts at 6 ≥ 5 + 1.
    expect(shapeOf('maxpool2d', [t([1, 1, 5, 5])], { kernel: 2, stride: 2, padding: 1, ceil_mode: true })).toEqual([
      1, 1, 3, 3,
    ]);
    // GoogLeNet: 112 → k3 s2 ceil → 56
    expect(shapeOf('maxpool2d', [t([1, 64, 112, 112])], { kernel: 3, stride: 2, ceil_mode: true })).toEqual([
      1, 64, 56, 56,
    ]);
    expect(shapeOf('maxpool2d', [t([1, 64, 112, 112])], { kernel: 3, stride: 2 })).toEqual([1, 64, 55, 55]);
  });

  it('dilation widens the window', () => {
    expect(shapeOf('maxpool2d', [t([1, 1, 10, 10])], { kernel: 3, stride: 1, dilation: 2 })).toEqual([1, 1, 6, 6]);
  });

  it('rejects padding over half the kernel, oversized windows, symbolic H/W, wrong rank', () => {
    expectApplyError('maxpool2d', [t([1, 1, 8, 8])], { kernel: 3, padding: 2 }, 'MDL3006', 'padding 2×2', 'half');
    expectApplyError('maxpool2d', [t([1, 1, 2, 2])], { kernel: 3 }, 'MDL4004', '[1, 1, 2, 2]', '3×3');
    expectApplyError('maxpool2d', [t([1, 1, 'H', 8])], { kernel: 2 }, 'MDL4007', 'H');
    expectApplyError('maxpool2d', [t([1, 8, 8])], { kernel: 2 }, 'MDL4008', '[1, 8, 8]');
    expectApplyError('maxpool2d', [t([1, 1, 8, 8])], { kernel: 0 }, 'MDL3006', 'kernel');
    expectApplyError('maxpool2d', [t([1, 1, 8, 8])], { kernel: 2, stride: 0 }, 'MDL3006', 'stride');
  });
});

describe('avgpool2d', () => {
  it('uses the pooling rule and counts kh·kw per output', () => {
    const r = apply('avgpool2d', [t(['B', 16, 7, 7])], { kernel: 7 });
    expect(r.outputs[0]!.shape).toEqual(['B', 16, 1, 1]);
    expect(r.cost({ B: 2 })).toEqual({ macs: 0, flops: 2 * 16 * 49 });
    expect(shapeOf('avgpool2d', [t([1, 3, 32, 32])], { kernel: 3, stride: 1, padding: 1 })).toEqual([1, 3, 32, 32]);
    expect(shapeOf('avgpool2d', [t([1, 3, 5, 5])], { kernel: 2, ceil_mode: true, count_include_pad: false })).toEqual([
      1, 3, 3, 3,
    ]);
    expect(apply('avgpool2d', [t([1, 3, 4, 4])], { kernel: 2 }).attrs).not.toHaveProperty('dilation');
  });

  it('rejects padding over half the kernel', () => {
    expectApplyError('avgpool2d', [t([1, 1, 8, 8])], { kernel: 2, padding: 2 }, 'MDL3006', 'half');
  });
});

describe('global_avgpool', () => {
  it('keeps [N, C, 1, 1] or drops to [N, C]; FLOPs = numel(input)', () => {
    const r = apply('global_avgpool', [t(['B', 512, 7, 7])]);
    expect(r.outputs[0]!.shape).toEqual(['B', 512, 1, 1]);
    expect(r.cost({ B: 2 })).toEqual({ macs: 0, flops: 2 * 512 * 49 });
    expect(shapeOf('global_avgpool', [t(['B', 512, 'H', 'W'])], { keepdim: false })).toEqual(['B', 512]);
    expectApplyError('global_avgpool', [t(['B', 512])], {}, 'MDL4008', '[B, 512]');
  });
});

describe('mean and sum', () => {
  for (const op of ['mean', 'sum'] as const) {
    it(`${op} removes or keeps axes; FLOPs = numel(input)`, () => {
      const r = apply(op, [t(['B', 197, 768])], { axes: [1] });
      expect(r.outputs[0]!.shape).toEqual(['B', 768]);
      expect(r.cost({ B: 2 })).toEqual({ macs: 0, flops: 2 * 197 * 768 });
      expect(shapeOf(op, [t(['B', 64, 7, 7])], { axes: [-1, -2], keepdim: true })).toEqual(['B', 64, 1, 1]);
      expect(shapeOf(op, [t(['B', 64, 7, 7])], { axes: [0, 1, 2, 3] })).toEqual([]);
      expect(shapeOf(op, [t(['B', 64])], { axes: 0 })).toEqual([64]);
    });

    it(`${op} rejects bad, repeated and empty axes`, () => {
      expectApplyError(op, [t(['B', 64])], { axes: [2] }, 'MDL4003', 'axis 2', '[B, 64]');
      expectApplyError(op, [t(['B', 64, 3])], { axes: [1, -2] }, 'MDL3006', 'repeated');
      expectApplyError(op, [t(['B', 64])], { axes: [] }, 'MDL3006', 'axes');
    });
  }
});
