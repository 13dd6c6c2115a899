// Weights saved by other frameworks in other precisions load converted: F16, BF16 and F64 as
// F32, I64 as I32 when it fits; anything else, or an I64 that does not fit, is an error naming
// the tensor.
import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeSafetensors } from '../../runtime/checkpoint/safetensors.js';

/** A safetensors file of raw tensors: name → dtype, shape and bytes. */
function file(tensors: Record<string, { dtype: string; shape: number[]; bytes: Buffer }>): Buffer {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const [k, t] of Object.entries(tensors)) {
    header[k] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.length] };
    at += t.bytes.length;
  }
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  return Buffer.concat([len, head, ...Object.values(tensors).map((t) => t.bytes)]);
}

const f16 = (bits: number[]) => Buffer.from(Uint16Array.from(bits).buffer);

describe('safetensors dtypes', () => {
  it('converts F16, BF16 and F64 to F32 and I64 to I32', () => {
    const f64 = Buffer.from(Float64Array.of(0.1, -2.5, 1e-3).buffer);
    const i64 = Buffer.from(BigInt64Array.of(7n, -3n).buffer);
    // 1, -2, 0.5, 65504 (largest half), 2^-24 (smallest subnormal), +inf
    const half = f16([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00]);
    // bfloat16: the upper halves of 1.0 and -3.0
    const bf16 = f16([0x3f80, 0xc040]);
    const c = decodeSafetensors(
      'x.safetensors',
      file({
        a: { dtype: 'F64', shape: [3], bytes: f64 },
        b: { dtype: 'F16', shape: [2, 3], bytes: half },
        c: { dtype: 'BF16', shape: [2], bytes: bf16 },
        d: { dtype: 'I64', shape: [2], bytes: i64 },
      }),
    );
    expect(c.tensors.get('a')!.data).toEqual(Float32Array.of(0.1, -2.5, 1e-3));
    expect(Array.from(c.tensors.get('b')!.data)).toEqual([1, -2, 0.5, 65504, 2 ** -24, Infinity]);
    expect(c.tensors.get('b')!.shape).toEqual([2, 3]);
    expect(Array.from(c.tensors.get('c')!.data)).toEqual([1, -3]);
    expect(c.tensors.get('d')!.data).toEqual(Int32Array.of(7, -3));
  });

  it('names the tensor it cannot read', () => {
    const big = Buffer.from(BigInt64Array.of(2n ** 40n).buffer);
    const read = (t: Record<string, { dtype: string; shape: number[]; bytes: Buffer }>) => () =>
      decodeSafetensors('x.safetensors', file(t));
    expect(read({ steps: { dtype: 'I64', shape: [1], bytes: big } })).toThrow(/"steps": an I64 value does not fit/);
    expect(read({ mask: { dtype: 'BOOL', shape: [1], bytes: Buffer.alloc(1) } })).toThrow(
      /"mask": dtype "BOOL" is not supported/,
    );
    // a half tensor's byte count is checked against 2-byte values
    expect(read({ h: { dtype: 'F16', shape: [3], bytes: Buffer.alloc(4) } })).toThrow(
      /"h": 4 bytes for shape \[3\] of 2-byte/,
    );
    try {
      read({ mask: { dtype: 'BOOL', shape: [1], bytes: Buffer.alloc(1) } })();
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as CheckpointError).code).toBe('MDL5009');
    }
  });
});
