// Packages loaded only when a feature needs them (Dawn's `webgpu` for the GPU, `ts-morph` for
// `mdl compile`'s typed module): an installation without one still runs everything else, and
// the feature that needs it fails with an error naming the package and how to install it,
// not with Node's "Cannot find package" and a stack trace.

/** A package a feature needs is not installed. */
export class MissingPackageError extends Error {
  constructor(
    readonly pkg: string,
    readonly purpose: string,
  ) {
    super(`the package \`${pkg}\` is not installed; ${purpose} needs it`);
  }
}

/** The package whose absence made an import fail (Node's "Cannot find package 'NAME'"), if that is what it was. */
export function missingPackageOf(e: unknown): string | undefined {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' && err?.code !== 'MODULE_NOT_FOUND') return undefined;
  if (typeof err.message !== 'string') return undefined;
  return /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec(err.message)?.[1];
}

const isMissing = (e: unknown, pkg: string): boolean => missingPackageOf(e) === pkg;

/** `load()` (a dynamic import of `pkg`), with an absent package as a MissingPackageError. */
export async function importPackage<T>(pkg: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isMissing(e, pkg)) throw new MissingPackageError(pkg, purpose);
    throw e;
  }
}
