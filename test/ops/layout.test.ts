import { describe, expect, it } from 'vitest';
import { OPS } from '../../compiler/ops/registry.js';
import { apply, bind, expectApplyError, shapeOf, t } from './util.js';

describe('flatten', () => {
  it('merges numeric dims, default start=1', () => {
    expect(shapeOf('flatten', [t(['B', 512, 7, 7])])).toEqual(['B', 25088]);
    expect(shapeOf('flatten', [t([2, 3, 4, 5])], { start: 0, end: 1 })).toEqual([6, 4, 5]);
    expect(shapeOf('flatten', [t([2, 3, 4, 5])], { start: -2 })).toEqual([2, 3, 20]);
    expect(shapeOf('flatten', [t(['B', 'T', 8])], { start: 1, end: 1 })).toEqual(['B', 'T', 8]);
    expect(shapeOf('flatten', [t(['B', 1, 1])], { start: 0 })).toEqual(['B']);
    expect(apply('flatten', [t(['B', 8])]).cost({ B: 2 })).toEqual({ macs: 0, flops: 0 });
  });

  it('refuses to merge a symbolic dim with others, and bad ranges', () => {
    expectApplyError('flatten', [t(['B', 'T', 8])], { start: 0 }, 'MDL4007', '[B, T, 8]', 'B');
    expectApplyError('flatten', [t([2, 3, 4])], { start: 2, end: 1 }, 'MDL3006', 'start');
    expectApplyError('flatten', [t([2, 3, 4])], { start: 3 }, 'MDL4003', 'axis 3');
  });
});

describe('reshape', () => {
  it('solves -1 and keeps symbols', () => {
    expect(shapeOf('reshape', [t(['B', 28, 28])], { shape: ['B', 784] })).toEqual(['B', 784]);
    expect(shapeOf('reshape', [t(['B', 28, 28])], { shape: ['B', -1] })).toEqual(['B', 784]);
    expect(shapeOf('reshape', [t(['B', 197, 768])], { shape: ['B', 197, 12, 64] })).toEqual(['B', 197, 12, 64]);
    expect(shapeOf('reshape', [t(['B', 197, 768])], { shape: ['B', -1, 12, 64] })).toEqual(['B', 197, 12, 64]);
    expect(shapeOf('reshape', [t([2, 3, 4])], { shape: [4, -1] })).toEqual([4, 6]);
    expect(shapeOf('reshape', [t(['T', 'B', 6])], { shape: ['B', 'T', 2, 3] })).toEqual(['B', 'T', 2, 3]);
  });

  it('lets -1 stand for exactly one missing symbol', () => {
    expect(shapeOf('reshape', [t(['B', 28, 28])], { shape: [-1, 784] })).toEqual(['B', 784]);
    expectApplyError('reshape', [t(['B', 28, 28])], { shape: [-1, 28] }, 'MDL4006', 'B·28', 'single dimension');
  });

  it('explains mismatches with both shapes and both element counts', () => {
    expectApplyError(
      'reshape',
      [t(['B', 28, 28])],
      { shape: ['B', 100] },
      'MDL4006',
      '[B, 28, 28]',
      '[B, 100]',
      'B·784',
      'B·100',
    );
    expectApplyError(
      'reshape',
      [t([2, 3, 4])],
      { shape: [5, -1] },
      'MDL4006',
      '[2, 3, 4]',
      '[5, -1]',
      '24',
      'divisible',
    );
    expectApplyError('reshape', [t(['B', 4])], { shape: ['T', 4] }, 'MDL4006', 'T', '[B, 4]');
    expectApplyError('reshape', [t(['B', 4])], { shape: [4] }, 'MDL4006', 'B', 'missing');
    expectApplyError('reshape', [t([2, 3])], { shape: [-1, -1] }, 'MDL3006', 'more than one -1');
    expectApplyError('reshape', [t([2, 3])], { shape: [0, 6] }, 'MDL3006', '0');
  });
});

describe('transpose and permute', () => {
  it('transpose swaps two dims, negative axes ok', () => {
    expect(shapeOf('transpose', [t(['B', 197, 12, 64])], { dim0: 1, dim1: 2 })).toEqual(['B', 12, 197, 64]);
    expect(shapeOf('transpose', [t(['B', 'T', 64])], { dim0: -1, dim1: -2 })).toEqual(['B', 64, 'T']);
    expectApplyError('transpose', [t([2, 3])], { dim0: 0, dim1: 2 }, 'MDL4003', '[2, 3]');
  });

  it('permute reorders, rejects non-permutations', () => {
    expect(shapeOf('permute', [t(['B', 3, 32, 32])], { dims: [0, 2, 3, 1] })).toEqual(['B', 32, 32, 3]);
    expect(shapeOf('permute', [t(['B', 3, 32, 16])], { dims: [0, -1, -2, 1] })).toEqual(['B', 16, 32, 3]);
    expectApplyError('permute', [t([2, 3, 4])], { dims: [0, 1] }, 'MDL3006', '[0, 1]', '[2, 3, 4]');
    expectApplyError('permute', [t([2, 3, 4])], { dims: [0, 1, 1] }, 'MDL3006', 'permutation');
    expectApplyError('permute', [t([2, 3, 4])], { dims: [0, 1, -1, 2] }, 'MDL3006');
    expectApplyError('permute', [t([2, 3, 4])], { dims: [0, 1, 3] }, 'MDL4003', 'axis 3');
  });
});

describe('concat', () => {
  it('sums the axis dim, keeps symbols elsewhere', () => {
    const r = apply('concat', [t(['B', 64, 28, 28]), t(['B', 32, 28, 28]), t(['B', 32, 28, 28])]);
    expect(r.outputs[0]!.shape).toEqual(['B', 128, 28, 28]);
    expect(r.cost({ B: 1 })).toEqual({ macs: 0, flops: 0 });
    expect(OPS.concat.kind).toBe('layout');
    expect(shapeOf('concat', [t(['B', 1, 768]), t(['B', 196, 768])], { axis: -2 })).toEqual(['B', 197, 768]);
    expect(shapeOf('concat', [t(['B', 'T'])], { axis: 0 })).toEqual(['B', 'T']);
  });

  it('names the mismatching input and both shapes', () => {
    expectApplyError(
      'concat',
      [t(['B', 64, 16, 16]), t(['B', 32, 8, 8])],
      {},
      'MDL4001',
      'input 2',
      '[B, 32, 8, 8]',
      '[B, 64, 16, 16]',
      'dim 2',
    );
    expectApplyError('concat', [t(['B', 64]), t(['B', 64, 1])], {}, 'MDL4008', 'input 2');
    expectApplyError('concat', [t(['B', 64]), t(['T', 64])], { axis: 0 }, 'MDL4007', 'B');
    expectApplyError('concat', [t([2, 3]), t([2, 3], 'i32')], {}, 'MDL4009');
    expectApplyError('concat', [], {}, 'MDL3006');
  });
});

describe('slice', () => {
  it('follows Python slicing', () => {
    const len = (n: number, given: Record<string, number | null>): unknown =>
      shapeOf('slice', [t(['B', n])], { axis: 1, ...given })[1];
    expect(len(10, { start: 2 })).toBe(8);
    expect(len(10, { start: -3 })).toBe(3);
    expect(len(10, { start: 2, end: -2 })).toBe(6);
    expect(len(10, { start: -100, end: 100 })).toBe(10);
    expect(len(10, { step: 3 })).toBe(4);
    expect(len(10, { start: 1, end: 8, step: 3 })).toBe(3);
    expect(len(10, { end: null })).toBe(10);
    expect(len(197, { start: 0, end: 1 })).toBe(1);
  });

  it('rejects empty results, bad steps, symbolic axes', () => {
    expectApplyError('slice', [t([10])], { axis: 0, start: 5, end: 2 }, 'MDL4004', '[10]');
    expectApplyError('slice', [t([10])], { axis: 0, step: 0 }, 'MDL3006', 'step');
    expectApplyError('slice', [t(['B', 10])], { axis: 0, start: 1 }, 'MDL4007', 'B');
    expectApplyError('slice', [t([10])], { axis: 1 }, 'MDL4003');
  });
});

describe('select', () => {
  it('removes the axis; negative index ok', () => {
    expect(shapeOf('select', [t(['B', 197, 768])], { axis: 1, index: 0 })).toEqual(['B', 768]);
    expect(shapeOf('select', [t(['B', 197, 768])], { axis: 1, index: -1 })).toEqual(['B', 768]);
    expect(shapeOf('select', [t(['B', 'T', 768])], { axis: 1, index: -1 })).toEqual(['B', 768]);
  });

  it('rejects out-of-range axes and indices', () => {
    expectApplyError('select', [t(['B', 5])], { axis: 2, index: 0 }, 'MDL4003');
    expectApplyError('select', [t(['B', 5])], { axis: 1, index: 5 }, 'MDL3006', 'index 5', '[B, 5]');
    expectApplyError('select', [t(['B', 5])], { axis: 1, index: -6 }, 'MDL3006', '-6');
    expectApplyError('select', [t(['B', 5])], { axis: 0, index: 3 }, 'MDL4007', 'B');
  });
});

describe('split', () => {
  it('[n] gives n equal parts; a list gives those sizes; outputs() agrees', () => {
    const r = apply('split', [t(['B', 197, 2304])], { sections: [3] });
    expect(r.outputs.map((o) => o.shape)).toEqual([
      ['B', 197, 768],
      ['B', 197, 768],
      ['B', 197, 768],
    ]);
    expect(OPS.split.outputs!(r.attrs)).toBe(3);
    const q = apply('split', [t(['B', 10, 4])], { sections: [2, 3, 5], axis: 1 });
    expect(q.outputs.map((o) => o.shape[1])).toEqual([2, 3, 5]);
    expect(OPS.split.outputs!(q.attrs)).toBe(3);
    expect(OPS.split.outputs!(bind(OPS.split, { sections: 4 }))).toBe(4);
  });

  it('rejects sizes that do not divide or add up', () => {
    expectApplyError('split', [t(['B', 10])], { sections: [3] }, 'MDL4001', '10', '3 equal parts', '[B, 10]');
    expectApplyError('split', [t(['B', 10])], { sections: [2, 3] }, 'MDL4001', 'add up to 5', '10');
    expectApplyError('split', [t(['B', 10])], { sections: [0] }, 'MDL3006');
    expectApplyError('split', [t(['B', 10])], { sections: [5], axis: 0 }, 'MDL4007', 'B');
  });
});

describe('unsqueeze, squeeze', () => {
  it('inserts and removes unit dims', () => {
    expect(shapeOf('unsqueeze', [t(['B', 768])], { axis: 1 })).toEqual(['B', 1, 768]);
    expect(shapeOf('unsqueeze', [t(['B', 768])], { axis: -1 })).toEqual(['B', 768, 1]);
    expect(shapeOf('unsqueeze', [t(['B', 768])], { axis: 2 })).toEqual(['B', 768, 1]);
    expect(shapeOf('unsqueeze', [t([])], { axis: 0 })).toEqual([1]);
    expect(shapeOf('squeeze', [t(['B', 1, 768])], { axis: 1 })).toEqual(['B', 768]);
    expect(shapeOf('squeeze', [t(['B', 768, 1])], { axis: -1 })).toEqual(['B', 768]);
  });

  it('rejects bad axes and non-unit dims', () => {
    expectApplyError('unsqueeze', [t(['B', 768])], { axis: 3 }, 'MDL4003', '-3..2');
    expectApplyError('squeeze', [t(['B', 3])], { axis: 1 }, 'MDL4001', '[B, 3]', 'size 3');
    expectApplyError('squeeze', [t(['B', 3])], { axis: 0 }, 'MDL4001', 'B');
  });
});

describe('expand', () => {
  it('broadcasts like torch.expand', () => {
    expect(shapeOf('expand', [t([1, 1, 768])], { shape: ['B', -1, -1] })).toEqual(['B', 1, 768]);
    expect(shapeOf('expand', [t([3, 1])], { shape: [2, 3, 4] })).toEqual([2, 3, 4]);
    expect(shapeOf('expand', [t(['B', 1])], { shape: ['B', 'T'] })).toEqual(['B', 'T']);
  });

  it('rejects growing a non-unit dim, -1 in new dims, fewer dims', () => {
    expectApplyError('expand', [t([3, 2])], { shape: [3, 4] }, 'MDL4002', '[3, 2]', '[3, 4]');
    expectApplyError('expand', [t([3])], { shape: [-1, 3] }, 'MDL3006', '-1');
    expectApplyError('expand', [t([3, 1])], { shape: [3] }, 'MDL4008');
  });
});

describe('pad', () => {
  it('pads from the last dim backwards; negative pads crop', () => {
    expect(shapeOf('pad', [t(['B', 3, 32, 32])], { pads: [1, 1, 2, 2] })).toEqual(['B', 3, 36, 34]);
    expect(shapeOf('pad', [t(['B', 3, 32, 32])], { pads: [0, 1] })).toEqual(['B', 3, 32, 33]);
    expect(shapeOf('pad', [t(['B', 3, 32, 32])], { pads: [-1, -1] })).toEqual(['B', 3, 32, 30]);
    expect(shapeOf('pad', [t(['B', 4])], { pads: [1, 1, 0, 0] })).toEqual(['B', 6]);
    expect(apply('pad', [t([4])], { pads: [1, 2] }).cost()).toEqual({ macs: 0, flops: 0 });
  });

  it('rejects odd/too long pads, crops to nothing, padding symbols', () => {
    expectApplyError('pad', [t([2, 3])], { pads: [1, 1, 1] }, 'MDL3006', 'even');
    expectApplyError('pad', [t([2, 3])], { pads: [1, 1, 1, 1, 1, 1] }, 'MDL3006', '4');
    expectApplyError('pad', [t([2, 3])], { pads: [-2, -1] }, 'MDL4004', '[2, 3]');
    expectApplyError('pad', [t(['B', 3])], { pads: [0, 0, 1, 1] }, 'MDL4007', 'B');
  });
});
