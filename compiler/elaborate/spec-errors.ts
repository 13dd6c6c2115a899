// The checks every section's spec builder makes of its settings (train, search, rashomon,
// unlearn): a mistake is thrown as a SpecError carrying its located MDL3004 diagnostic, and the
// builder catches it at the setting, so one bad setting is reported once and the others are
// still checked.
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Span } from '../source.js';
import { repr, typeName, type V } from './values.js';

export class SpecError extends Error {
  constructor(readonly d: Diagnostic) {
    super(d.message);
  }
}

/** Throws a setting's mistake as MDL3004 at `span`. */
export function bad(message: string, span: Span | undefined, hint?: string): never {
  throw new SpecError(diag('MDL3004', message, span, hint ? { hint } : {}));
}

/** A number setting (int or float). */
export function num(v: V, what: string, span: Span): number {
  if (v.t === 'int' || v.t === 'float') return v.v;
  return bad(`${what} must be a number, got ${typeName(v)} ${repr(v)}`, span);
}

/** An int setting of at least `min`. */
export function posInt(v: V, what: string, span: Span, min = 1): number {
  if (v.t !== 'int' || v.v < min) return bad(`${what} must be an int ≥ ${min}, got ${repr(v)}`, span);
  return v.v;
}
