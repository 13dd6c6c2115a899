// The front half of the pipeline as one library call: load + parse every file, elaborate the
// chosen model, verify the IR. The CLI and the tests both go through here.
import { diag, type Diagnostic } from './diagnostics/diagnostic.js';
import { didYouMean } from './diagnostics/suggest.js';
import { Elaborator, type ElaborateOptions } from './elaborate/elaborate.js';
import type { Graph } from './ir/types.js';
import { verifyGraph } from './ir/verify.js';
import { loadProgram, type SourceHost } from './modules/loader.js';
import type { SourceFile } from './source.js';

export interface CompileResult {
  readonly graph: Graph | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
  /** The models the file defines. */
  readonly models: readonly string[];
}

export interface CompileOptions extends ElaborateOptions {
  /** Which model to elaborate; by default the file's only model, or the one named like the file. */
  readonly model?: string;
}

export function compileModel(src: SourceFile, host: SourceHost, opts: CompileOptions = {}): CompileResult {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program);
  const defs = elab.models();
  const models = defs.map((d) => d.name);
  const done = (graph: Graph | undefined, extra: Diagnostic[] = []): CompileResult => ({
    graph,
    diagnostics: sortDiagnostics([...elab.diagnostics.items, ...extra]),
    sources: program.sources,
    models,
  });
  // Files that failed to load or parse stop here; errors in constants or definitions do not,
  // so the model's own mistakes are still reported in the same run.
  if (program.diagnostics.length > 0 || !elab.entry) return done(undefined);
  let def = defs.find((d) => d.name === opts.model);
  if (opts.model !== undefined && !def) {
    const dym = didYouMean(opts.model, models);
    return done(undefined, [diag('MDL2005', `${src.path} has no model \`${opts.model}\``, undefined, { hint: dym ?? `its models: ${models.join(', ') || 'none'}` })]);
  }
  if (!def) {
    const stem = src.path.replace(/^.*[\\/]/, '').replace(/\.mdl$/, '');
    def = defs.length === 1 ? defs[0] : defs.find((d) => d.name === stem);
  }
  if (!def) {
    if (defs.length === 0) return done(undefined, [diag('MDL2006', `${src.path} defines no model`)]);
    return done(undefined, [diag('MDL2005', `${src.path} defines several models; choose one with --model`, undefined, { hint: `its models: ${models.join(', ')}` })]);
  }
  const graph = elab.elaborateModel(def, opts);
  if (graph) verifyGraph(graph);
  return done(graph);
}

/** Elaborates every model of a file with its defaults (what `mdl check` does). */
export function checkFile(src: SourceFile, host: SourceHost): CompileResult {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program);
  const defs = elab.models();
  if (program.diagnostics.length === 0)
    for (const d of defs) {
      const g = elab.elaborateModel(d);
      if (g) verifyGraph(g);
    }
  return { graph: undefined, diagnostics: sortDiagnostics(elab.diagnostics.items), sources: program.sources, models: defs.map((d) => d.name) };
}

function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    if (!a.span || !b.span) return a.span ? -1 : b.span ? 1 : 0;
    return a.span.file === b.span.file ? a.span.start - b.span.start : 0;
  });
}
