import type { Span } from '../source.js';
import { DIAGNOSTICS, type DiagnosticCode, type DiagnosticInfo } from './codes.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span | undefined;
  readonly hint: string | undefined;
  /** Further locations that explain the error ("first defined here"). */
  readonly notes: readonly { message: string; span?: Span }[];
}

export function diag(
  code: DiagnosticCode,
  message: string,
  span?: Span,
  opts: { hint?: string; notes?: { message: string; span?: Span }[]; severity?: Severity } = {},
): Diagnostic {
  const info: DiagnosticInfo = DIAGNOSTICS[code];
  return {
    code,
    severity: opts.severity ?? 'error',
    message,
    span,
    hint: opts.hint ?? info.hint,
    notes: opts.notes ?? [],
  };
}

/**
 * Thrown inside the compiler to abandon the current statement; the elaborator catches it at
 * statement level, records the diagnostic, and carries on so one run reports several errors.
 */
export class MdlError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function fail(
  code: DiagnosticCode,
  message: string,
  span?: Span,
  opts?: { hint?: string; notes?: { message: string; span?: Span }[] },
): never {
  throw new MdlError(diag(code, message, span, opts));
}

/** A collection of diagnostics gathered over one compilation. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  add(d: Diagnostic): void {
    // The same error reached through two routes (e.g. a block called twice) is reported once.
    if (this.items.some((x) => x.code === d.code && x.message === d.message && sameSpan(x.span, d.span))) return;
    this.items.push(d);
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

function sameSpan(a: Span | undefined, b: Span | undefined): boolean {
  if (!a || !b) return a === b;
  return a.file === b.file && a.start === b.start && a.end === b.end;
}
