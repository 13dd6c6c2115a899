// The memo slot that replaces weak maps in the hot paths of search: it must behave like a
// WeakMap keyed by the object, and never leak into copies or serialisations of the object.
import { describe, expect, it } from 'vitest';
import { cacheSlot } from '../../compiler/ir/cache-slot.js';

describe('cacheSlot', () => {
  it('holds one value per object and per slot, replaced on set', () => {
    const a = cacheSlot<number>('a');
    const b = cacheSlot<number>('b');
    const o = { x: 1 };
    const p = { x: 1 };
    expect(a.get(o)).toBeUndefined();
    a.set(o, 3);
    b.set(o, 4);
    expect(a.get(o)).toBe(3);
    expect(b.get(o)).toBe(4);
    expect(a.get(p)).toBeUndefined();
    a.set(o, 5);
    expect(a.get(o)).toBe(5);
  });

  it('is invisible to keys, JSON, spreading and structured cloning', () => {
    const s = cacheSlot<string>('label');
    const o = { kernel: [3, 3], stride: 1 };
    s.set(o, 'cached');
    expect(Object.keys(o)).toEqual(['kernel', 'stride']);
    expect(JSON.stringify(o)).toBe('{"kernel":[3,3],"stride":1}');
    const copy = { ...o };
    expect(s.get(copy)).toBeUndefined();
    expect(s.get(structuredClone(o))).toBeUndefined();
    expect(o).toEqual({ kernel: [3, 3], stride: 1 });
  });

  it('falls back to a weak map for frozen and sealed objects', () => {
    const s = cacheSlot<number>('n');
    const f = Object.freeze({ a: 1 });
    const g = Object.seal({ a: 1 });
    s.set(f, 1);
    s.set(g, 2);
    expect(s.get(f)).toBe(1);
    expect(s.get(g)).toBe(2);
    s.set(f, 7);
    expect(s.get(f)).toBe(7);
    expect(Object.getOwnPropertySymbols(f)).toEqual([]);
  });
});
