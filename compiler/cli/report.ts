// What a command reports of a compilation, and a user error found after it: a light module, so
// that the command line's error handler (main.ts) renders a late error without loading the
// compiler.
import type { CompileResult } from '../compile.js';
import type { MdlError } from '../diagnostics/diagnostic.js';
import { renderAll } from '../diagnostics/render.js';
import type { SourceFile } from '../source.js';

/** The sources of the last compilation reported: a later stage's diagnostic is shown in them. */
let reportedSources: ReadonlyMap<string, SourceFile> = new Map();

/**
 * A user error found by a stage after compilation (a loss that does not fit the model, say),
 * thrown as an MdlError out of a command: rendered like the compiler's own, with its source line.
 */
export function renderLate(e: MdlError): string {
  return renderAll([e.diagnostic], reportedSources);
}

/** Prints a compilation's diagnostics to stderr; true when there were no errors. */
export function report(r: Pick<CompileResult, 'diagnostics' | 'sources'>): boolean {
  reportedSources = r.sources;
  if (r.diagnostics.length > 0) process.stderr.write(renderAll(r.diagnostics, r.sources) + '\n');
  return !r.diagnostics.some((d) => d.severity === 'error');
}
