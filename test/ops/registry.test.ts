import { describe, expect, it } from 'vitest';
import { OPS, OP_NAMES, getOp } from '../../compiler/ops/registry.js';
import type { ArgType } from '../../compiler/ops/types.js';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const opsDir = join(dirname(fileURLToPath(import.meta.url)), '../../compiler/ops');

describe('op registry', () => {
  it("each op's name equals its key", () => {
    for (const [key, op] of Object.entries(OPS)) expect(op.name, key).toBe(key);
  });

  it('holds the whole op set', () => {
    const expected = [
      'conv2d',
      'conv_transpose2d',
      'linear',
      'matmul',
      'add',
      'sub',
      'mul',
      'div',
      'neg',
      'where',
      'relu',
      'relu6',
      'gelu',
      'silu',
      'sigmoid',
      'tanh',
      'hardswish',
      'hardsigmoid',
      'leaky_relu',
      'elu',
      'softplus',
      'exp',
      'log',
      'sqrt',
      'abs',
      'pow',
      'clamp',
      'softmax',
      'log_softmax',
      'batchnorm2d',
      'layernorm',
      'groupnorm',
      'maxpool2d',
      'avgpool2d',
      'global_avgpool',
      'adaptive_avgpool2d',
      'adaptive_maxpool2d',
      'upsample',
      'mean',
      'sum',
      'flatten',
      'reshape',
      'transpose',
      'permute',
      'concat',
      'slice',
      'select',
      'split',
      'unsqueeze',
      'squeeze',
      'expand',
      'pad',
      'embedding',
      'gather',
      'token_mask',
      'dropout',
      'identity',
      'zero',
      'optional',
      'exit',
      'cross_entropy',
      'mse',
      'param',
      'constant',
    ];
    expect([...OP_NAMES].sort()).toEqual([...expected].sort());
  });

  it('has one file per op (activations: one per function, in pointwise/), named after it, and no other op files', () => {
    const tsFiles = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => f.slice(0, -3));
    const support = ['types', 'helpers', 'registry', 'verify'];
    const pointwiseSupport = ['fn', 'index', 'op'];
    const files = [
      ...tsFiles(opsDir).filter((f) => !support.includes(f)),
      ...tsFiles(join(opsDir, 'pointwise')).filter((f) => !pointwiseSupport.includes(f)),
    ];
    expect(files.sort()).toEqual([...OP_NAMES].sort());
  });

  it('getOp looks up own properties only', () => {
    expect(getOp('conv2d')).toBe(OPS.conv2d);
    expect(getOp('linear')?.name).toBe('linear');
    for (const inherited of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])
      expect(getOp(inherited), inherited).toBeUndefined();
    expect(getOp('Conv2d')).toBeUndefined();
    expect(getOp('')).toBeUndefined();
  });

  it('declares tensor args first, unique arg names, docs, and defaults of the declared type', () => {
    const fits = (type: ArgType, v: unknown): boolean => {
      switch (type) {
        case 'int':
          return Number.isInteger(v);
        case 'float':
          return typeof v === 'number';
        case 'bool':
          return typeof v === 'boolean';
        case 'string':
          return typeof v === 'string';
        case 'int2':
          return v === null || Number.isInteger(v) || (Array.isArray(v) && v.length === 2);
        case 'ints':
          return Number.isInteger(v) || Array.isArray(v);
        case 'shape':
          return Array.isArray(v);
        case 'int?':
          return v === null || Number.isInteger(v);
        case 'float?':
          return v === null || typeof v === 'number';
        default:
          return false; // tensors have no defaults
      }
    };
    for (const op of Object.values(OPS)) {
      expect(op.doc.length, op.name).toBeGreaterThan(0);
      const names = op.args.map((a) => a.name);
      expect(new Set(names).size, op.name).toBe(names.length);
      const firstAttr = op.args.findIndex((a) => a.type !== 'tensor' && a.type !== 'tensors');
      if (firstAttr >= 0)
        for (const a of op.args.slice(firstAttr))
          expect(a.type === 'tensor' || a.type === 'tensors', `${op.name}.${a.name}`).toBe(false);
      for (const a of op.args) {
        if (a.default !== undefined) expect(fits(a.type, a.default), `${op.name}.${a.name}`).toBe(true);
        if (a.oneOf) {
          expect(a.type).toBe('string');
          expect(a.oneOf).toContain(a.default);
        }
      }
    }
  });

  it('source ops have no tensor args; every other op has at least one', () => {
    for (const op of Object.values(OPS)) {
      const tensors = op.args.filter((a) => a.type === 'tensor' || a.type === 'tensors').length;
      if (op.kind === 'source') expect(tensors, op.name).toBe(0);
      else expect(tensors, op.name).toBeGreaterThan(0);
    }
  });

  it('tolerates un-normalised int2 / ints and a null int2 stride', () => {
    const x = { shape: ['B', 8, 28, 28], dtype: 'f32' } as const;
    const raw = { kernel: 2, stride: null, padding: 0, dilation: 1, ceil_mode: false };
    expect(OPS.maxpool2d.infer([x], raw)[0]!.shape).toEqual(['B', 8, 14, 14]);
    expect(
      OPS.maxpool2d.cost({ inputs: [[1, 8, 28, 28]], params: [], outputs: [[1, 8, 14, 14]], attrs: raw }).flops,
    ).toBe(8 * 14 * 14 * 4);
    expect(OPS.mean.infer([x], { axes: 1, keepdim: false })[0]!.shape).toEqual(['B', 28, 28]);
    expect(OPS.split.outputs!({ sections: 4, axis: -1 })).toBe(4);
  });
});
