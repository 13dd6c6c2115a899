// The proxies' cache of initial parameter values: the same values as drawing them, a copy each
// time, and bounded.
import { describe, expect, it } from 'vitest';
import { initCacheElements, initialValues } from '../../compiler/drivers/proxies/init-cache.js';
import type { Param } from '../../compiler/ir/types.js';
import { initParam } from '../../compiler/reference/init.js';

const param = (name: string, shape: number[], fanIn = shape.slice(1).reduce((a, b) => a * b, 1)): Param => ({
  id: 0,
  name,
  shape,
  dtype: 'f32',
  init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn },
  buffer: false,
  trainable: true,
  value: 0,
});

describe('initial values across candidates', () => {
  it('gives the drawn values, keyed by seed, name, shape and initialiser, as a fresh copy', () => {
    const p = param('cells.3.layers.2.op.1.weight', [16, 16, 3, 3]);
    const a = initialValues(p, 7);
    expect(a).toEqual(initParam(p, 7, 'f64').data);
    a.fill(0);
    const b = initialValues(p, 7);
    expect(b).toEqual(initParam(p, 7, 'f64').data);
    expect(b).not.toBe(a);
    expect(initialValues(p, 8)).toEqual(initParam(p, 8, 'f64').data);
    const wider = param(p.name, [16, 16, 1, 1]);
    expect(initialValues(wider, 7)).toEqual(initParam(wider, 7, 'f64').data);
    const fan = param(p.name, [16, 16, 3, 3], 99);
    expect(initialValues(fan, 7)).toEqual(initParam(fan, 7, 'f64').data);
  });

  it('holds at most 2^22 values, dropping the least recently used', () => {
    const big = (k: number) => param(`big.${k}`, [1 << 20]);
    for (let k = 0; k < 6; k++) initialValues(big(k), 1);
    expect(initCacheElements()).toBeLessThanOrEqual(1 << 22);
    expect(initialValues(big(0), 1)).toEqual(initParam(big(0), 1, 'f64').data);
  });
});
