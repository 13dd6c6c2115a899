// A memo slot on an object: what a WeakMap keyed by the object would hold, stored on the object.
//
// Why not a WeakMap: the compiler caches derived facts (a node's attribute label and cost, a
// type's label, a list's extent) on objects that each candidate of a search makes by the tens of
// thousands and drops at once. Every entry of a WeakMap is an ephemeron that the garbage
// collector must trace separately on every cycle; in a 100,000-step evolution over a space the
// weak tables were a large part of the collector's time. A property of the object dies with it at
// no extra cost.
//
// The property is keyed by a private symbol and not enumerable, so `Object.keys`, JSON, spreading
// and structured cloning never see it: a copy of an object never carries its original's cached
// fact. Frozen or sealed objects, which cannot take a property, fall back to a WeakMap.
export interface CacheSlot<T> {
  get(o: object): T | undefined;
  set(o: object, v: T): void;
}

export function cacheSlot<T>(name: string): CacheSlot<T> {
  const key = Symbol(name);
  const fallback = new WeakMap<object, T>();
  return {
    get(o) {
      const v = (o as Record<symbol, T | undefined>)[key];
      if (v !== undefined || Object.isExtensible(o)) return v;
      return fallback.get(o);
    },
    set(o, v) {
      if (Object.prototype.hasOwnProperty.call(o, key)) (o as Record<symbol, T>)[key] = v;
      else if (Object.isExtensible(o)) Object.defineProperty(o, key, { value: v, writable: true });
      else fallback.set(o, v);
    },
  };
}
