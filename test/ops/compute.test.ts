import { describe, expect, it } from 'vitest';
import { apply, expectApplyError, shapeOf, t } from './util.js';

describe('conv2d', () => {
  it("ResNet-18's first conv: [1,3,224,224], out 64, k7 s2 p3", () => {
    const r = apply('conv2d', [t([1, 3, 224, 224])], { out: 64, kernel: 7, stride: 2, padding: 3, bias: false });
    expect(r.outputs[0]!.shape).toEqual([1, 64, 112, 112]);
    expect(r.params.map((p) => p.shape)).toEqual([[64, 3, 7, 7]]);
    expect(r.cost()).toEqual({ macs: 118_013_952, flops: 236_027_904 });
  });

  it('counts the bias add and initialises like PyTorch', () => {
    const r = apply('conv2d', [t(['B', 3, 32, 32])], { out: 16, kernel: 3, padding: 1 });
    expect(r.outputs[0]!.shape).toEqual(['B', 16, 32, 32]);
    const [w, b] = r.params;
    expect(w!.init).toEqual({ kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn: 27 });
    expect(b!.shape).toEqual([16]);
    expect(b!.init).toEqual({ kind: 'uniform', low: -1 / Math.sqrt(27), high: 1 / Math.sqrt(27) });
    // B = 2: out numel 2·16·32·32 = 32768; MACs = 32768·27 = 884736
    expect(r.cost({ B: 2 })).toEqual({ macs: 884_736, flops: 2 * 884_736 + 32_768 });
  });

  it('depthwise groups', () => {
    const r = apply('conv2d', [t([1, 32, 56, 56])], { out: 32, kernel: 3, padding: 1, groups: 32, bias: false });
    expect(r.params[0]!.shape).toEqual([32, 1, 3, 3]);
    expect(r.cost().macs).toBe(32 * 56 * 56 * 9);
  });

  it('reports bad groups, oversized kernels, wrong rank and symbolic channels', () => {
    expectApplyError(
      'conv2d',
      [t([1, 30, 8, 8])],
      { out: 64, kernel: 3, groups: 4 },
      'MDL4005',
      '30',
      '64',
      'groups=4',
    );
    expectApplyError('conv2d', [t([1, 3, 4, 4])], { out: 8, kernel: 7 }, 'MDL4004', '[1, 3, 4, 4]');
    expectApplyError('conv2d', [t([3, 32, 32])], { out: 8, kernel: 3 }, 'MDL4008', '[3, 32, 32]');
    expectApplyError('conv2d', [t(['B', 'C', 32, 32])], { out: 8, kernel: 3 }, 'MDL4007', 'C', '[B, C, 32, 32]');
  });
});

describe('linear', () => {
  it('maps the last dim and keeps the leading ones, symbolic included', () => {
    expect(shapeOf('linear', [t(['B', 500])], { out: 10 })).toEqual(['B', 10]);
    expect(shapeOf('linear', [t(['B', 'T', 768])], { out: 3072 })).toEqual(['B', 'T', 3072]);
    expect(shapeOf('linear', [t([784])], { out: 10 })).toEqual([10]);
  });

  it('has PyTorch parameters and inits', () => {
    const r = apply('linear', [t(['B', 500])], { out: 10 });
    expect(r.params).toEqual([
      { name: 'weight', shape: [10, 500], init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn: 500 } },
      { name: 'bias', shape: [10], init: { kind: 'uniform', low: -1 / Math.sqrt(500), high: 1 / Math.sqrt(500) } },
    ]);
    expect(apply('linear', [t(['B', 500])], { out: 10, bias: false }).params.map((p) => p.name)).toEqual(['weight']);
  });

  it('costs numel(out)·in MACs, 2·MACs + bias FLOPs', () => {
    // B = 32: out numel 320; MACs 320·500 = 160000
    expect(apply('linear', [t(['B', 500])], { out: 10 }).cost({ B: 32 })).toEqual({ macs: 160_000, flops: 320_320 });
    expect(apply('linear', [t(['B', 500])], { out: 10, bias: false }).cost({ B: 32 })).toEqual({
      macs: 160_000,
      flops: 320_000,
    });
    // ViT MLP: [1, 197, 768] → 3072
    expect(apply('linear', [t([1, 197, 768])], { out: 3072 }).cost().macs).toBe(197 * 3072 * 768);
  });

  it('needs a numeric feature dim and a positive out', () => {
    expectApplyError('linear', [t(['B', 'D'])], { out: 10 }, 'MDL4007', '[B, D]', 'D');
    expectApplyError('linear', [t([])], { out: 10 }, 'MDL4008', 'linear');
    expectApplyError('linear', [t(['B', 5])], { out: 0 }, 'MDL3006', 'linear:');
  });
});

describe('matmul', () => {
  it('multiplies matrices and broadcasts batch dims', () => {
    expect(shapeOf('matmul', [t([3, 4]), t([4, 5])])).toEqual([3, 5]);
    expect(shapeOf('matmul', [t(['B', 12, 197, 64]), t(['B', 12, 64, 197])])).toEqual(['B', 12, 197, 197]);
    expect(shapeOf('matmul', [t(['B', 8, 16, 32]), t([32, 64])])).toEqual(['B', 8, 16, 64]);
    expect(shapeOf('matmul', [t([2, 1, 3, 4]), t([5, 4, 6])])).toEqual([2, 5, 3, 6]);
    expect(shapeOf('matmul', [t(['B', 'T', 64]), t(['B', 64, 'T'])])).toEqual(['B', 'T', 'T']);
  });

  it('costs numel(out)·K', () => {
    expect(apply('matmul', [t(['B', 8, 16, 32]), t([32, 64])]).cost({ B: 2 })).toEqual({
      macs: 524_288,
      flops: 1_048_576,
    });
  });

  it('reports inner-dim mismatch with both shapes and dims, rank and batch errors', () => {
    const e = expectApplyError('matmul', [t(['B', 3, 4]), t([5, 6])], {}, 'MDL4001', '[B, 3, 4]', '[5, 6]', '4', '5');
    expect(e.message.startsWith('matmul:')).toBe(true);
    expectApplyError('matmul', [t([4]), t([4, 5])], {}, 'MDL4008', '[4]');
    expectApplyError('matmul', [t([3, 4]), t([4])], {}, 'MDL4008', '[4]');
    expectApplyError('matmul', [t([2, 3, 4]), t([3, 4, 5])], {}, 'MDL4002', '[2, 3, 4]', '[3, 4, 5]');
    expectApplyError('matmul', [t(['B', 3, 4]), t(['C', 4, 5])], {}, 'MDL4002');
    expectApplyError('matmul', [t([3, 4]), t([4, 5], 'i32')], {}, 'MDL4009');
  });
});
