// The search log: one JSON line per evaluated candidate, after a first line that says which
// search wrote it. `mdl search --out FILE` appends to it as the search goes; a rerun with the
// same file resumes: the lines are replayed (problem.ts) and the search goes on from the last
// one. A torn last line (the run was killed while writing it) is dropped and evaluated again.
import { indexValue } from '../space/evaluate.js';
import type { Evaluated, Value } from './problem.js';

/** What the first line records: a resumed search must be this same search. */
export interface LogHeader {
  readonly search: string;
  readonly space: string;
  readonly algorithm: string;
  readonly goals: readonly string[];
  readonly limits: readonly string[];
  readonly seed: number;
  /** Where costly values came from (data set and batch, truth table, adapter): not compared. */
  readonly sources?: readonly string[];
}

const RESERVED = new Set([
  'step',
  'index',
  'arch',
  'hash',
  'phase',
  'parent',
  'predicted',
  'feasible',
  'violated',
  'error',
]);

export function headerLine(h: LogHeader): string {
  return JSON.stringify({ header: h });
}

export function logLine(e: Evaluated): string {
  const o: Record<string, unknown> = {
    step: e.step,
    index: indexValue(e.index),
    arch: e.arch,
    ...(e.hash !== undefined ? { hash: e.hash } : {}),
    phase: e.phase,
    ...(e.parent !== undefined ? { parent: e.parent } : {}),
    ...(e.predicted !== undefined ? { predicted: e.predicted } : {}),
    feasible: e.feasible,
    ...(e.violated !== undefined ? { violated: e.violated } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
  };
  // Non-finite values are written as text (JSON has no NaN), as `mdl score` writes them.
  for (const [k, v] of Object.entries(e.values)) o[k] = typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  return JSON.stringify(o);
}

export class LogError extends Error {}

/**
 * A log's header and evaluations, and how many bytes of the text are whole lines (a torn last
 * line is not: the file is cut back to `complete` before appending).
 */
export function readLog(text: string): { header?: LogHeader; rows: Evaluated[]; complete: number } {
  const rows: Evaluated[] = [];
  let header: LogHeader | undefined;
  let pos = 0;
  let complete = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl);
    pos = nl + 1;
    complete = pos;
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new LogError(`line ${rows.length + (header ? 2 : 1)} is not JSON`);
    }
    if ('header' in o) {
      if (header || rows.length) throw new LogError('a second header line');
      header = o['header'] as LogHeader;
      continue;
    }
    if (typeof o['step'] !== 'number' || o['index'] === undefined) throw new LogError('a line without step and index');
    if (o['step'] !== rows.length)
      throw new LogError(`line for step ${String(o['step'])} where step ${rows.length} was expected`);
    const values: Record<string, Value> = {};
    for (const [k, v] of Object.entries(o))
      if (!RESERVED.has(k))
        values[k] = typeof v === 'string' && /^(NaN|-?Infinity)$/.test(v) ? Number(v) : (v as Value);
    rows.push({
      step: o['step'],
      index: BigInt(o['index'] as number | string),
      arch: String(o['arch']),
      ...(typeof o['hash'] === 'string' ? { hash: o['hash'] } : {}),
      values,
      feasible: o['feasible'] === true,
      ...(typeof o['error'] === 'string' ? { error: o['error'] } : {}),
      ...(typeof o['violated'] === 'string' ? { violated: o['violated'] } : {}),
      phase: String(o['phase']),
      ...(typeof o['parent'] === 'number' ? { parent: o['parent'] } : {}),
      ...(typeof o['predicted'] === 'number' ? { predicted: o['predicted'] } : {}),
    });
  }
  return { ...(header ? { header } : {}), rows, complete };
}

/** Why a log's header is not this search's, or undefined when it is. */
export function headerMismatch(found: LogHeader, want: LogHeader): string | undefined {
  for (const k of ['search', 'space', 'algorithm', 'goals', 'limits', 'seed'] as const)
    if (JSON.stringify(found[k]) !== JSON.stringify(want[k]))
      return `it was written by a search with ${k} ${JSON.stringify(found[k])}, this one has ${JSON.stringify(want[k])}`;
  return undefined;
}
