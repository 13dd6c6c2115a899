// Initial parameter values kept across the candidates a process scores. A parameter's initial
// values are a pure function of (seed, name, shape, initialiser) (runtime/random/init.ts), and
// the candidates of a space share most of their parameters' names and shapes: a NAS-Bench-201
// candidate's `cells.7.layers.2.op.1.weight` is the same tensor in every candidate with a 3×3
// convolution on that edge. Drawing them took about 50 ms of a SynFlow candidate's 0.6 s on a
// 2-core machine (one Philox block per element); a copy out of this cache takes about 1.
//
// The cache holds at most MAX_ELEMENTS values and forgets the least recently used. Callers get
// a copy: a proxy that scales or updates its parameters cannot change what the next candidate
// starts from.
import type { Param } from '../../ir/types.js';
import { initParam } from '../../reference/init.js';

const MAX_ELEMENTS = 1 << 22;

const held = new Map<string, Float64Array>();
let elements = 0;

function keyOf(p: Param, seed: number): string {
  return `${seed}\u0000${p.name}\u0000${p.shape.join('x')}\u0000${JSON.stringify(p.init)}`;
}

/** The initial values of `p` for `seed` in float64, as a fresh array. */
export function initialValues(p: Param, seed: number): Float64Array {
  const k = keyOf(p, seed);
  const hit = held.get(k);
  if (hit) {
    // Most recently used last.
    held.delete(k);
    held.set(k, hit);
    return hit.slice();
  }
  const v = initParam(p, seed, 'f64').data as Float64Array;
  if (v.length <= MAX_ELEMENTS) {
    held.set(k, v.slice());
    elements += v.length;
    for (const [old, a] of held) {
      if (elements <= MAX_ELEMENTS) break;
      held.delete(old);
      elements -= a.length;
    }
  }
  return v;
}

/** How many values the cache holds (tests). */
export function initCacheElements(): number {
  return elements;
}
