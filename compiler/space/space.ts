// A search space as a stream of candidates. A space is the product of its choices (see the
// comment at the top of examples/nb201.mdl); candidate i is the mixed-radix number i over the
// choices' option counts, the last choice varying fastest, so index 0 takes every first option.
// Nothing is ever materialised: an index becomes an assignment, the assignment a graph.
// Indices are bigints, because spaces easily exceed 2^53 candidates.
import type { Definition } from '../../grammar/ast.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { Elaborator, type ChoicePoint, type SpaceInstance } from '../elaborate/elaborate.js';
import { loadProgram, type SourceHost } from '../modules/loader.js';
import type { SourceFile } from '../source.js';

export interface OpenSpace {
  readonly elaborator: Elaborator;
  readonly def: Definition;
  /** The choices, as the first candidate meets them. */
  readonly choices: readonly ChoicePoint[];
  readonly radix: readonly number[];
  readonly size: bigint;
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export interface OpenResult {
  readonly space: OpenSpace | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
}

/** Loads a file and prepares one of its spaces (`name`, or its only one). */
export function openSpace(src: SourceFile, host: SourceHost, name?: string): OpenResult {
  const program = loadProgram(src, host);
  const elaborator = new Elaborator(program, {});
  const done = (space: OpenSpace | undefined, extra: Diagnostic[] = []): OpenResult => ({
    space,
    diagnostics: [...elaborator.diagnostics.items, ...extra],
    sources: program.sources,
  });
  if (program.diagnostics.length > 0 || !elaborator.entry) return done(undefined);
  const defs = elaborator.spaces();
  const names = defs.map((d) => d.name);
  const def = name === undefined ? (defs.length === 1 ? defs[0] : undefined) : defs.find((d) => d.name === name);
  if (!def) {
    if (name !== undefined)
      return done(undefined, [
        diag('MDL2005', `${src.path} has no space \`${name}\``, undefined, {
          hint: didYouMean(name, names) ?? `its spaces: ${names.join(', ') || 'none'}`,
        }),
      ]);
    if (defs.length === 0)
      return done(undefined, [
        diag('MDL2006', `${src.path} defines no space`, undefined, {
          hint: 'declare one with `space NAME { model = net(arg=choice([…])) }`',
        }),
      ]);
    return done(undefined, [
      diag('MDL2005', `${src.path} defines several spaces; choose one with --space`, undefined, {
        hint: `its spaces: ${names.join(', ')}`,
      }),
    ]);
  }
  if (elaborator.diagnostics.hasErrors) return done(undefined);
  const r = spaceOf(elaborator, def, program.sources);
  return done(r.space, [...r.diagnostics]);
}

/** A space section of an elaborated program, prepared: its choices as the first candidate meets them. */
export function spaceOf(
  elaborator: Elaborator,
  def: Definition,
  sources: ReadonlyMap<string, SourceFile>,
): { space: OpenSpace | undefined; diagnostics: readonly Diagnostic[] } {
  const first = elaborator.instantiate(def, []);
  if (first.diagnostics.some((d) => d.severity === 'error'))
    return { space: undefined, diagnostics: first.diagnostics };
  const radix = first.choices.map((c) => c.options.length);
  const size = radix.reduce((s, r) => s * BigInt(r), 1n);
  return { space: { elaborator, def, choices: first.choices, radix, size, sources }, diagnostics: first.diagnostics };
}

/** Index → one option per choice (mixed radix, last choice fastest). */
export function digitsOf(index: bigint, radix: readonly number[]): number[] {
  const d = new Array<number>(radix.length);
  let x = index;
  for (let k = radix.length - 1; k >= 0; k--) {
    const r = BigInt(radix[k]!);
    d[k] = Number(x % r);
    x /= r;
  }
  return d;
}

export function indexOf(digits: readonly number[], radix: readonly number[]): bigint {
  let x = 0n;
  radix.forEach((r, k) => (x = x * BigInt(r) + BigInt(digits[k] ?? 0)));
  return x;
}

/**
 * Whether an instance met the space's choices, with their option counts (choices that depend
 * on other choices can differ, and an index would then not be well defined).
 */
export function sameChoices(space: OpenSpace, inst: Pick<SpaceInstance, 'choices'>): boolean {
  return (
    inst.choices.length === space.radix.length && inst.choices.every((c, k) => c.options.length === space.radix[k])
  );
}

/**
 * Instantiates candidate `index`. A candidate whose choices differ from the first one's
 * (choices that depend on other choices) is an error: the index would not be well defined.
 */
export function candidate(space: OpenSpace, index: bigint): SpaceInstance {
  const inst = space.elaborator.instantiate(space.def, digitsOf(index, space.radix));
  if (!sameChoices(space, inst) && inst.diagnostics.length === 0) {
    const k = inst.choices.findIndex((c, i) => c.options.length !== space.radix[i]);
    const at = k >= 0 ? inst.choices[k]!.span : space.def.nameSpan;
    return {
      ...inst,
      graph: undefined,
      diagnostics: [
        diag(
          'MDL6001',
          `the choices of space \`${space.def.name}\` depend on one another: candidate ${index} meets ${inst.choices.length} choices, the first candidate ${space.radix.length}`,
          at,
          {
            hint: 'declare every choice unconditionally and let the model ignore those it does not use',
          },
        ),
      ],
    };
  }
  return inst;
}

/** A small, fast, seedable PRNG (splitmix32 over a 32-bit state), deterministic everywhere. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A uniform bigint in [0, n) by rejection over 32-bit words. */
export function uniformBelow(n: bigint, next: () => number): bigint {
  const bits = n.toString(2).length;
  const words = Math.ceil(bits / 32);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let x = 0n;
    for (let w = 0; w < words; w++) x = (x << 32n) | BigInt(next());
    x &= mask;
    if (x < n) return x;
  }
}

/** The candidates of a stream: every index in order, or `sample` distinct ones drawn with `seed`. */
export function* indices(size: bigint, sample?: number, seed = 0): Generator<bigint> {
  if (sample === undefined || BigInt(sample) >= size) {
    for (let i = 0n; i < size; i++) yield i;
    return;
  }
  const next = prng(seed);
  const seen = new Set<bigint>();
  while (seen.size < sample) {
    const i = uniformBelow(size, next);
    if (seen.has(i)) continue;
    seen.add(i);
    yield i;
  }
}

/** Shard `shard` of `of`: the stream's items k with k mod `of` = `shard` (0-based). */
export function* sharded<T>(items: Iterable<T>, shard: number, of: number): Generator<T> {
  let k = 0;
  for (const x of items) if (k++ % of === shard) yield x;
}
