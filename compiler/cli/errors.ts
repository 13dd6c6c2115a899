// Failures of the command line (a file it cannot read, a flag it does not know, a model that
// does not fit the data) are diagnostics of the one registry, like the errors in a model, and
// are printed by the same renderer: `error MDLnnnn: message` and a hint, never a stack trace.
import type { DiagnosticCode } from '../diagnostics/codes.js';
import { diag } from '../diagnostics/diagnostic.js';
import { renderDiagnostic } from '../diagnostics/render.js';

/** The codes of bad usage: README promises exit status 2 for them, 1 for the other user errors. */
const USAGE_CODES: ReadonlySet<DiagnosticCode> = new Set(['MDL7001', 'MDL7002', 'MDL7003', 'MDL7004', 'MDL7005']);

/** A user-facing failure of a command. Without a hint of its own, the registry's hint is shown. */
export class CliError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }
}

/** The one rendering of a command-line failure (there is no source span to show). */
export function renderCliError(e: CliError): string {
  return renderDiagnostic(diag(e.code, e.message, undefined, e.hint !== undefined ? { hint: e.hint } : {}), new Map());
}

/** A bug in mdl, not in the user's input: said so, with the stack needed to report it. */
export function renderInternalError(e: unknown): string {
  const head = renderCliError(new CliError('MDL9001', 'internal error in mdl — please report it'));
  return `${head}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}
