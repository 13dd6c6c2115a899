import { describe, expect, it } from 'vitest';
import { apply, expectApplyError, t } from './util.js';

describe('cross_entropy', () => {
  it('logits [N, C] f32 and target [N] i32 → scalar f32; 6 FLOPs per logit', () => {
    const r = apply('cross_entropy', [t(['B', 10]), t(['B'], 'i32')]);
    expect(r.outputs).toEqual([t([])]);
    expect(r.cost({ B: 32 })).toEqual({ macs: 0, flops: 6 * 320 });
    expect(apply('cross_entropy', [t([4, 1000]), t([4], 'i32')], { label_smoothing: 0.1 }).outputs[0]!.shape).toEqual(
      [],
    );
  });

  it('checks dtypes, ranks, batch and label_smoothing', () => {
    expectApplyError('cross_entropy', [t(['B', 10]), t(['B'])], {}, 'MDL4009', 'i32', 'f32');
    expectApplyError('cross_entropy', [t(['B', 10], 'i32'), t(['B'], 'i32')], {}, 'MDL4009', 'logits');
    expectApplyError('cross_entropy', [t([4, 10]), t([8], 'i32')], {}, 'MDL4001', '[4, 10]', '[8]');
    expectApplyError('cross_entropy', [t(['B', 10]), t(['T'], 'i32')], {}, 'MDL4001', '[B, 10]', '[T]');
    expectApplyError('cross_entropy', [t(['B', 4, 10]), t(['B'], 'i32')], {}, 'MDL4008', '[B, 4, 10]');
    expectApplyError('cross_entropy', [t(['B', 10]), t(['B', 10], 'i32')], {}, 'MDL4008', '[B, 10]');
    expectApplyError(
      'cross_entropy',
      [t(['B', 10]), t(['B'], 'i32')],
      { label_smoothing: 1.5 },
      'MDL3006',
      'label_smoothing',
    );
  });
});

describe('mse', () => {
  it('same shapes → scalar; 3 FLOPs per element', () => {
    const r = apply('mse', [t(['B', 3]), t(['B', 3])]);
    expect(r.outputs).toEqual([t([])]);
    expect(r.cost({ B: 5 })).toEqual({ macs: 0, flops: 45 });
  });

  it('does not broadcast; names both shapes', () => {
    expectApplyError('mse', [t(['B', 3]), t([1, 3])], {}, 'MDL4001', '[B, 3]', '[1, 3]');
    expectApplyError('mse', [t(['B', 3]), t(['B', 3], 'f16')], {}, 'MDL4009');
  });
});

describe('param', () => {
  it('is a named-after-the-node parameter of its shape', () => {
    const r = apply('param', [], { shape: [1, 1, 768], init: 'trunc_normal', std: 0.02 });
    expect(r.outputs).toEqual([t([1, 1, 768])]);
    expect(r.params).toEqual([
      { name: '', shape: [1, 1, 768], init: { kind: 'trunc_normal', std: 0.02, a: -0.04, b: 0.04 } },
    ]);
    expect(r.cost()).toEqual({ macs: 0, flops: 0 });
  });

  it('builds each init from init/std', () => {
    const init = (name: string, std = 0.5): unknown =>
      apply('param', [], { shape: [3], init: name, std }).params[0]!.init;
    expect(init('zeros')).toEqual({ kind: 'zeros' });
    expect(apply('param', [], { shape: [3] }).params[0]!.init).toEqual({ kind: 'zeros' });
    expect(init('ones')).toEqual({ kind: 'ones' });
    expect(init('normal')).toEqual({ kind: 'normal', mean: 0, std: 0.5 });
    expect(init('uniform')).toEqual({ kind: 'uniform', low: -0.5, high: 0.5 });
    expect(apply('param', [], { shape: [] }).outputs[0]!.shape).toEqual([]);
  });

  it('rejects symbolic and non-positive dims, unknown inits', () => {
    expectApplyError('param', [], { shape: ['B', 768] }, 'MDL4007', '[B, 768]', 'B');
    expectApplyError('param', [], { shape: [0, 768] }, 'MDL4004', '[0, 768]');
    expectApplyError('param', [], { shape: [-1, 768] }, 'MDL4004');
    expectApplyError('param', [], { shape: [3], init: 'xavier' }, 'MDL3006', 'xavier');
    expectApplyError('param', [], { shape: [3], init: 'normal', std: 0 }, 'MDL3006', 'std');
  });
});

describe('constant', () => {
  it('is an f32 of the given shape, scalar by default', () => {
    expect(apply('constant', [], { value: 0.5 }).outputs).toEqual([t([])]);
    expect(apply('constant', [], { value: 1, shape: ['B', 4] }).outputs).toEqual([t(['B', 4])]);
    const r = apply('constant', [], { value: 2 });
    expect(r.params).toEqual([]);
    expect(r.cost()).toEqual({ macs: 0, flops: 0 });
    expectApplyError('constant', [], { value: 1, shape: [0] }, 'MDL4004');
  });
});
