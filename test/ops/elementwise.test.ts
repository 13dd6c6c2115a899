import { describe, expect, it } from 'vitest';
import type { OpName } from '../../compiler/ops/registry.js';
import { apply, expectApplyError, shapeOf, t } from './util.js';

describe('binary elementwise ops', () => {
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    it(`${op} broadcasts and costs one FLOP per output element`, () => {
      const r = apply(op, [t(['B', 64, 8, 8]), t([64, 1, 1])]);
      expect(r.outputs[0]!.shape).toEqual(['B', 64, 8, 8]);
      expect(r.cost({ B: 2 })).toEqual({ macs: 0, flops: 2 * 64 * 64 });
      expect(shapeOf(op, [t([]), t(['B', 3])])).toEqual(['B', 3]);
    });
  }

  it('names both shapes when they do not broadcast', () => {
    const e = expectApplyError(
      'add',
      [t(['B', 64, 8, 8]), t(['B', 32, 8, 8])],
      {},
      'MDL4002',
      '[B, 64, 8, 8]',
      '[B, 32, 8, 8]',
    );
    expect(e.message.startsWith('add:')).toBe(true);
    expectApplyError('mul', [t(['B', 3]), t(['T', 3])], {}, 'MDL4002', '[B, 3]', '[T, 3]');
    expectApplyError('sub', [t([3]), t([3], 'i32')], {}, 'MDL4009', 'f32', 'i32');
  });

  it('neg keeps the shape, 1 FLOP per element', () => {
    const r = apply('neg', [t(['B', 10])]);
    expect(r.outputs[0]).toEqual(t(['B', 10]));
    expect(r.cost({ B: 3 })).toEqual({ macs: 0, flops: 30 });
  });
});

describe('activations', () => {
  const perElement: Record<string, number> = {
    relu: 1,
    relu6: 2,
    sigmoid: 4,
    tanh: 5,
    silu: 5,
    gelu: 8,
    hardswish: 4,
    hardsigmoid: 3,
  };
  for (const [name, f] of Object.entries(perElement)) {
    it(`${name}: same shape and dtype, kind activation, ${f} FLOPs per element`, () => {
      const r = apply(name as OpName, [t(['B', 16, 4, 4], 'f16')]);
      expect(r.outputs).toEqual([t(['B', 16, 4, 4], 'f16')]);
      expect(r.cost({ B: 2 })).toEqual({ macs: 0, flops: f * 2 * 16 * 16 });
      expect(r.params).toEqual([]);
    });
  }

  it('gelu accepts approximate none|tanh only', () => {
    expect(apply('gelu', [t([4])], { approximate: 'tanh' }).attrs['approximate']).toBe('tanh');
    expect(apply('gelu', [t([4])]).attrs['approximate']).toBe('none');
    expectApplyError('gelu', [t([4])], { approximate: 'erf' }, 'MDL3006', 'erf');
  });
});

describe('softmax and log_softmax', () => {
  for (const op of ['softmax', 'log_softmax'] as const) {
    it(`${op} keeps the shape, checks the axis, costs 5 per element`, () => {
      const r = apply(op, [t(['B', 10])]);
      expect(r.outputs[0]!.shape).toEqual(['B', 10]);
      expect(r.cost({ B: 4 })).toEqual({ macs: 0, flops: 200 });
      expect(shapeOf(op, [t(['B', 12, 197, 197])], { axis: 1 })).toEqual(['B', 12, 197, 197]);
      expectApplyError(op, [t(['B', 10])], { axis: 2 }, 'MDL4003', 'axis 2', '[B, 10]');
      expectApplyError(op, [t(['B', 10])], { axis: -3 }, 'MDL4003', '-3');
    });
  }
});

describe('batchnorm2d', () => {
  it('declares weight, bias and the running-stat buffers', () => {
    const r = apply('batchnorm2d', [t(['B', 64, 56, 56])]);
    expect(r.outputs[0]).toEqual(t(['B', 64, 56, 56]));
    expect(r.params).toEqual([
      { name: 'weight', shape: [64], init: { kind: 'ones' } },
      { name: 'bias', shape: [64], init: { kind: 'zeros' } },
      { name: 'running_mean', shape: [64], init: { kind: 'zeros' }, buffer: true },
      { name: 'running_var', shape: [64], init: { kind: 'ones' }, buffer: true },
    ]);
    expect(r.cost({ B: 1 })).toEqual({ macs: 0, flops: 4 * 64 * 56 * 56 });
  });

  it('without affine, only buffers', () => {
    const r = apply('batchnorm2d', [t([2, 8, 4, 4])], { affine: false });
    expect(r.params.map((p) => [p.name, p.buffer])).toEqual([
      ['running_mean', true],
      ['running_var', true],
    ]);
  });

  it('needs rank 4, numeric channels and sane eps/momentum', () => {
    expectApplyError('batchnorm2d', [t(['B', 64])], {}, 'MDL4008', '[B, 64]', 'rank-4');
    expectApplyError('batchnorm2d', [t(['B', 'C', 4, 4])], {}, 'MDL4007', 'C');
    expectApplyError('batchnorm2d', [t([1, 4, 4, 4])], { eps: 0 }, 'MDL3006', 'eps');
    expectApplyError('batchnorm2d', [t([1, 4, 4, 4])], { momentum: 1.5 }, 'MDL3006', 'momentum');
  });
});

describe('layernorm', () => {
  it('normalises the last dim with weight/bias [D]', () => {
    const r = apply('layernorm', [t(['B', 197, 768])]);
    expect(r.outputs[0]!.shape).toEqual(['B', 197, 768]);
    expect(r.params).toEqual([
      { name: 'weight', shape: [768], init: { kind: 'ones' } },
      { name: 'bias', shape: [768], init: { kind: 'zeros' } },
    ]);
    expect(r.cost({ B: 1 })).toEqual({ macs: 0, flops: 8 * 197 * 768 });
    expect(apply('layernorm', [t(['B', 768])], { affine: false }).params).toEqual([]);
  });

  it('needs a numeric last dim', () => {
    expectApplyError('layernorm', [t(['B', 'D'])], {}, 'MDL4007', '[B, D]');
    expectApplyError('layernorm', [t([])], {}, 'MDL4008');
  });
});

describe('dropout, identity, zero', () => {
  it('dropout keeps the shape and costs one FLOP per element', () => {
    const r = apply('dropout', [t(['B', 100])], { p: 0.1 });
    expect(r.outputs[0]!.shape).toEqual(['B', 100]);
    expect(r.cost({ B: 2 })).toEqual({ macs: 0, flops: 200 });
    expect(apply('dropout', [t([3])]).attrs['p']).toBe(0.5);
    expect(apply('dropout', [t([3])], { p: 0 }).outputs[0]!.shape).toEqual([3]);
  });

  it('dropout rejects p outside [0, 1)', () => {
    expectApplyError('dropout', [t([3])], { p: 1 }, 'MDL3006', 'p', '1');
    expectApplyError('dropout', [t([3])], { p: -0.1 }, 'MDL3006', '-0.1');
  });

  it('identity and zero keep the shape and cost nothing', () => {
    for (const op of ['identity', 'zero'] as const) {
      const r = apply(op, [t(['B', 16, 8, 8])]);
      expect(r.outputs).toEqual([t(['B', 16, 8, 8])]);
      expect(r.cost({ B: 5 })).toEqual({ macs: 0, flops: 0 });
    }
  });
});
