// The registry of search algorithms. Each is defined once, in its own file under algorithms/
// (define.ts says what a definition holds); this table is the only list of them: the section
// vocabulary, the section interpreter, `mdl search --algorithm` and the driver read it.
import type { AlgorithmDef } from './define.js';
import { evolution } from './algorithms/evolution.js';
import { flash } from './algorithms/flash.js';
import { random } from './algorithms/random.js';

const DEFINITIONS = { random, evolution, flash };

type SpecOfDef<D> = D extends AlgorithmDef<infer S> ? S : never;

/** A checked algorithm call of a search. */
export type AlgorithmSpec = SpecOfDef<(typeof DEFINITIONS)[keyof typeof DEFINITIONS]>;

export type AlgorithmKind = AlgorithmSpec['kind'];

/**
 * Every algorithm name maps to the definition of the spec of that name: a definition that lacks
 * a field, or sits under another algorithm's name, does not type-check.
 */
export type AlgorithmRegistry = {
  readonly [K in AlgorithmKind]: AlgorithmDef<Extract<AlgorithmSpec, { readonly kind: K }>>;
};

export const ALGORITHMS: AlgorithmRegistry = DEFINITIONS;

export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmKind[];

/** The definition of the algorithm called `name`, if there is one. */
export function algorithmNamed(name: string): AlgorithmDef<AlgorithmSpec> | undefined {
  return Object.hasOwn(ALGORITHMS, name)
    ? (ALGORITHMS[name as AlgorithmKind] as AlgorithmDef<AlgorithmSpec>)
    : undefined;
}

/** The definition of a spec's algorithm. */
export function algorithmOf(s: AlgorithmSpec): AlgorithmDef<AlgorithmSpec> {
  return ALGORITHMS[s.kind] as AlgorithmDef<AlgorithmSpec>;
}
