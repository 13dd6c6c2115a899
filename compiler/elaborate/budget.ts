// What one elaboration (a model, a settings section, a search-space candidate) has spent of the
// budgets in compiler/diagnostics/limits.ts, and the error that stops it when one runs out.
// Elaboration is single-threaded and never nested across entry points, so one record serves.
import { diag, MdlError } from '../diagnostics/diagnostic.js';
import { formatLimit, LIMITS } from '../diagnostics/limits.js';
import type { Span } from '../source.js';

/**
 * A budget exceeded: the whole elaboration stops, since going on past the failed statement
 * would only spend the budget again. Recorded once, where it happened (with the block calls
 * that led there), then passed up unrecorded.
 */
export class Abort extends MdlError {
  recorded = false;
}

export function abort(message: string, span: Span | undefined, code: 'MDL6010' | 'MDL1007' = 'MDL6010'): never {
  throw new Abort(diag(code, message, span));
}

export const spent = { unrolled: 0, statements: 0, expansions: 0, elements: 0, failures: 0 };

/** A fresh budget, at the start of a model, a section or a candidate. */
export function resetBudget(): void {
  spent.unrolled = 0;
  spent.statements = 0;
  spent.expansions = 0;
  spent.elements = 0;
  spent.failures = 0;
}

/** Elements (of lists, tuples, strings) built: a loop that builds big values stops here. */
export function spendElements(n: number, span: Span): void {
  spent.elements += n;
  if (spent.elements > LIMITS.elements)
    abort(`more than ${formatLimit(LIMITS.elements)} list elements and characters built in one model`, span);
}
