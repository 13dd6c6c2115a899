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

/** Amounts of the budgets, by name (what `spent` holds, or a part of it). */
export type Spent = { -readonly [K in keyof typeof spent]: number };
/**
 * Amounts spent of some budgets, as pairs: a replay spends them for every expansion it adds,
 * and a short list is cheaper to walk there than an object of varying keys.
 */
export type Amounts = readonly (readonly [keyof Spent, number])[];
const BUDGETS = Object.keys(spent) as (keyof Spent)[];

/**
 * What is spent beyond `before` (a copy of `spent` taken earlier, or a part of what is spent),
 * the budgets that differ.
 */
export function spentSince(before: Readonly<Partial<Spent>>): Amounts {
  const d: [keyof Spent, number][] = [];
  for (const k of BUDGETS) {
    const n = spent[k] - (before[k] ?? 0);
    if (n !== 0) d.push([k, n]);
  }
  return d;
}

/** Spends `amounts` at once (a replayed part of an elaboration spends what it spent then). */
export function spend(amounts: Amounts): void {
  for (const [k, n] of amounts) spent[k] += n;
}

/** Adds `amounts` to `total`. */
export function addTo(total: Partial<Spent>, amounts: Amounts): void {
  for (const [k, n] of amounts) total[k] = (total[k] ?? 0) + n;
}

/** Whether every budget is within its limit: an elaboration that spent more would have stopped. */
export function withinLimits(): boolean {
  return BUDGETS.every((k) => spent[k] <= LIMITS[k]);
}

/**
 * Amounts as a vector over the budgets in a fixed order: a composed candidate (compose.ts) sums
 * those of a hundred parts, which is cheaper so than through objects of varying keys.
 */
export function amountVector(a: Amounts): Float64Array {
  const v = new Float64Array(BUDGETS.length);
  for (const [k, n] of a) v[BUDGETS.indexOf(k)]! += n;
  return v;
}

/** Whether amounts summed in a vector (amountVector) are within every limit. */
export function vectorFits(total: Float64Array): boolean {
  return BUDGETS.every((k, i) => total[i]! <= LIMITS[k]);
}

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
